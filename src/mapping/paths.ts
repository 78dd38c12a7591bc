/** Reads values from source records by dotted path; `Table[].Field` walks arrays; `^` starts from the root. */

/** A place in a record being mapped: the current item, the item that holds it, and the whole record. */
export interface Scope {
  root: Record<string, unknown>;
  item: Record<string, unknown>;
  /** The enclosing item (a `forEach` over `A[].B` gives each B its A); `..Field` reads from it. */
  parent?: Scope;
  /** Plain path of the item from the root (`A.B`), for the coverage report; "" at the root. */
  path?: string;
  /** True when the item wraps a scalar list entry as `{ value }`. */
  scalar?: boolean;
}

/** The plain root-relative path a read of `path` in `scope` touches (for the coverage report). */
export function readPath(scope: Scope, path: string): string {
  if (path.startsWith("^")) return plainPath(path);
  if (path.startsWith("..")) return readPath(scope.parent ?? scope, path.slice(2));
  const base = scope.path ?? "";
  if (scope.scalar && path === "value") return base;
  return base ? `${base}.${plainPath(path)}` : plainPath(path);
}

/** Every value at `path` (arrays flattened). `^` reads from the root, `..` from the parent item. */
export function valuesAtPath(scope: Scope, path: string): unknown[] {
  if (path.startsWith("..")) return valuesAtPath(scope.parent ?? scope, path.slice(2));
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

/** A path with markers removed, for comparing reads with record leaves (`^A[].B` → `A.B`). */
export const plainPath = (path: string) => path.replace(/^(\^|\.\.)/, "").replace(/\[\]/g, "");

/**
 * The scopes a `forEach` path produces: one per item, each knowing its parent item. Scalar items
 * (e.g. a list of dates) are wrapped as `{ value: item }`.
 */
export function forEachScopes(root: Record<string, unknown>, path: string, from?: Scope): Scope[] {
  let frontier: Scope[] = [from ?? { root, item: root, path: "" }];
  for (const raw of path.replace(/^\^/, "").split(".")) {
    const step = raw.replace("[]", "");
    const next: Scope[] = [];
    for (const s of frontier) {
      const v = s.item[step];
      const values = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
      const childPath = s.path ? `${s.path}.${step}` : step;
      for (const x of values) {
        if (x === undefined || x === null) continue;
        const scalar = typeof x !== "object" || Array.isArray(x);
        const item = scalar ? { value: x } : (x as Record<string, unknown>);
        next.push({ root, item, parent: s, path: childPath, ...(scalar ? { scalar } : {}) });
      }
    }
    frontier = next;
  }
  return frontier;
}
