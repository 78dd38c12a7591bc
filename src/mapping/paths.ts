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

/** A path compiled once: where reads of it land in the coverage report, and its values in a scope. */
export interface PathReader {
  /** The plain root-relative path a read in `scope` touches (as {@link readPath}). */
  readPath(scope: Scope): string;
  /** Every value at the path (as {@link valuesAtPath}). */
  values(scope: Scope): unknown[];
  /** The first value at the path, or undefined (as {@link valueAtPath}), without collecting the rest. */
  first(scope: Scope): unknown;
  /** True when the path has any value (`values(scope).length > 0`), without collecting them. */
  has(scope: Scope): boolean;
}

const NONE: unique symbol = Symbol("none");

/** Compiles `readPath` for one path: `^` is constant, `..` climbs, relative paths are memoised per scope path. */
function compileReadPath(path: string): (scope: Scope) => string {
  if (path.startsWith("^")) {
    const plain = plainPath(path);
    return () => plain;
  }
  if (path.startsWith("..")) {
    const inner = compileReadPath(path.slice(2));
    return (scope) => inner(scope.parent ?? scope);
  }
  const plain = plainPath(path);
  const isValue = path === "value";
  const memo = new Map<string, string>();
  return (scope) => {
    const base = scope.path ?? "";
    if (scope.scalar && isValue) return base;
    if (!base) return plain;
    let r = memo.get(base);
    if (r === undefined) {
      if (memo.size >= 64) memo.clear();
      r = `${base}.${plain}`;
      memo.set(base, r);
    }
    return r;
  };
}

/** Compiles `valuesAtPath` / `valueAtPath` for one path (the steps are split once). */
function compileValues(path: string): Omit<PathReader, "readPath"> {
  if (path.startsWith("..")) {
    const inner = compileValues(path.slice(2));
    return {
      values: (scope) => inner.values(scope.parent ?? scope),
      first: (scope) => inner.first(scope.parent ?? scope),
      has: (scope) => inner.has(scope.parent ?? scope),
    };
  }
  const absolute = path.startsWith("^");
  const steps = (absolute ? path.slice(1) : path)
    .split(".")
    .map((raw) => (raw.endsWith("[]") ? raw.slice(0, -2) : raw));
  const last = steps.length - 1;
  const values = (scope: Scope): unknown[] => {
    let current: unknown[] = [absolute ? scope.root : scope.item];
    for (const step of steps) {
      const next: unknown[] = [];
      for (const node of current) {
        if (node === null || typeof node !== "object") continue;
        const v = (node as Record<string, unknown>)[step];
        if (Array.isArray(v)) for (const x of v) next.push(x);
        else if (v !== undefined && v !== null) next.push(v);
      }
      current = next;
    }
    return current;
  };
  // Depth first, left to right: the same order as the breadth-first walk above, stopping at the first value.
  const firstAt = (node: unknown, i: number): unknown => {
    if (node === null || typeof node !== "object") return NONE;
    const v = (node as Record<string, unknown>)[steps[i] as string];
    if (i === last) {
      if (Array.isArray(v)) return v.length > 0 ? v[0] : NONE;
      return v !== undefined && v !== null ? v : NONE;
    }
    if (Array.isArray(v)) {
      for (let j = 0; j < v.length; j++) {
        const r = firstAt(v[j], i + 1);
        if (r !== NONE) return r;
      }
      return NONE;
    }
    if (v === undefined || v === null) return NONE;
    return firstAt(v, i + 1);
  };
  const first = (scope: Scope): unknown => {
    const r = firstAt(absolute ? scope.root : scope.item, 0);
    return r === NONE ? undefined : r;
  };
  const has = (scope: Scope): boolean => firstAt(absolute ? scope.root : scope.item, 0) !== NONE;
  return { values, first, has };
}

const readers = new Map<string, PathReader>();

/** The compiled reader for `path`, built once per distinct path (mappings hold a few hundred). */
export function pathReader(path: string): PathReader {
  let r = readers.get(path);
  if (!r) {
    if (readers.size >= 10_000) readers.clear();
    r = { readPath: compileReadPath(path), ...compileValues(path) };
    readers.set(path, r);
  }
  return r;
}

/** The plain root-relative path a read of `path` in `scope` touches (for the coverage report). */
export function readPath(scope: Scope, path: string): string {
  return pathReader(path).readPath(scope);
}

/** Every value at `path` (arrays flattened). `^` reads from the root, `..` from the parent item. */
export function valuesAtPath(scope: Scope, path: string): unknown[] {
  return pathReader(path).values(scope);
}

/** The first value at `path`, or undefined. */
export function valueAtPath(scope: Scope, path: string): unknown {
  return pathReader(path).first(scope);
}

/** Leaf paths of a record with array positions written `[]` (for the coverage report). */
export function leafPaths(value: unknown, prefix = "", out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) leafPaths(v, `${prefix}[]`, out);
  } else if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) leafPaths(o[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined && value !== null && value !== "") {
    out.add(prefix);
  }
  return out;
}

const plainMemo = new Map<string, string>();

/** A path with markers removed, for comparing reads with record leaves (`^A[].B` → `A.B`). */
export const plainPath = (path: string): string => {
  let r = plainMemo.get(path);
  if (r === undefined) {
    if (plainMemo.size >= 10_000) plainMemo.clear();
    r = path.replace(/^(\^|\.\.)/, "").replace(/\[\]/g, "");
    plainMemo.set(path, r);
  }
  return r;
};

const forEachSteps = new Map<string, string[]>();

/**
 * The scopes a `forEach` path produces: one per item, each knowing its parent item. Scalar items
 * (e.g. a list of dates) are wrapped as `{ value: item }`.
 */
export function forEachScopes(root: Record<string, unknown>, path: string, from?: Scope): Scope[] {
  let steps = forEachSteps.get(path);
  if (!steps) {
    if (forEachSteps.size >= 10_000) forEachSteps.clear();
    steps = path
      .replace(/^\^/, "")
      .split(".")
      .map((raw) => raw.replace("[]", ""));
    forEachSteps.set(path, steps);
  }
  let frontier: Scope[] = [from ?? { root, item: root, path: "" }];
  for (const step of steps) {
    const next: Scope[] = [];
    for (const s of frontier) {
      const v = s.item[step];
      const values = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
      const childPath = s.path ? `${s.path}.${step}` : step;
      for (const x of values) {
        if (x === undefined || x === null) continue;
        const scalar = typeof x !== "object" || Array.isArray(x);
        const scope: Scope = {
          root,
          item: scalar ? { value: x } : (x as Record<string, unknown>),
          parent: s,
          path: childPath,
        };
        if (scalar) scope.scalar = true;
        next.push(scope);
      }
    }
    frontier = next;
  }
  return frontier;
}
