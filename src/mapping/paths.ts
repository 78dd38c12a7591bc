/** Reads values from source records by dotted path; `Table[].Field` walks arrays; `^` starts from the root. */

/** A place in a record being mapped: the current item and the whole record. */
export interface Scope {
  root: Record<string, unknown>;
  item: Record<string, unknown>;
}

/** Every value at `path` (arrays flattened). */
export function valuesAtPath(scope: Scope, path: string): unknown[] {
  const absolute = path.startsWith("^");
  let current: unknown[] = [absolute ? scope.root : scope.item];
  for (const raw of (absolute ? path.slice(1) : path).split(".")) {
    const step = raw.endsWith("[]") ? raw.slice(0, -2) : raw;
    const next: unknown[] = [];
    for (const node of current) {
      if (node === null || typeof node !== "object") continue;
      const v = (node as Record<string, unknown>)[step];
      if (Array.isArray(v)) next.push(...v);
      else if (v !== undefined && v !== null) next.push(v);
    }
    current = next;
  }
  return current;
}

/** The first value at `path`, or undefined. */
export function valueAtPath(scope: Scope, path: string): unknown {
  return valuesAtPath(scope, path)[0];
}

/** Leaf paths of a record with array positions written `[]` (for the coverage report). */
export function leafPaths(value: unknown, prefix = "", out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) leafPaths(v, `${prefix}[]`, out);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) leafPaths(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined && value !== null && value !== "") {
    out.add(prefix);
  }
  return out;
}

/** A path with array markers removed, for comparing reads with record leaves (`A[].B` → `A.B`). */
export const plainPath = (path: string) => path.replace(/^\^/, "").replace(/\[\]/g, "");
