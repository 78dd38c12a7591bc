/** A deep copy of a parsed source record (JSON-shaped data), faster than structuredClone for plain objects and lists. */

/**
 * Copies plain objects, arrays and primitives the way `structuredClone` does (own enumerable keys in
 * order, holes kept, a `__proto__` key kept as an own key); anything else (a Date, a Map, a class
 * instance) is handed to `structuredClone`.
 */
export function cloneRecord<T>(value: T): T {
  return copy(value) as T;
}

const copy1 = (value: unknown) => copy(value);

function copy(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return structuredClone(value);
    return value.map(copy1);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k === "__proto__")
      Object.defineProperty(out, k, { value: copy(o[k]), writable: true, enumerable: true, configurable: true });
    else out[k] = copy(o[k]);
  }
  return out;
}
