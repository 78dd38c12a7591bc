/**
 * Interprets the data programs of simple invariants (see invariant-types.ts) over FHIR JSON with FHIRPath's
 * three-valued logic. `UNKNOWN` means "not decidable here" (e.g. a primitive known only by its `_name`
 * extension): the caller then asks fhirpath.js.
 */
import type { Program } from "./invariant-types.js";

type Json = Record<string, unknown>;
/** FHIRPath boolean result: true, false, or undefined for the empty collection. */
type Tri = boolean | undefined;
/** The program cannot be decided natively. */
export const UNKNOWN = Symbol("unknown");

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The items at `path` from `node`, or UNKNOWN when a step meets a `_name` twin, or (when `exact`, for value
 * comparisons) a choice element. A choice element (`value` → `valueQuantity`) counts as present otherwise.
 */
function collect(node: Json, path: string[], exact = false): unknown[] | typeof UNKNOWN {
  let items: unknown[] = [node];
  for (const name of path) {
    const next: unknown[] = [];
    for (const item of items) {
      if (!isObject(item)) continue;
      if (Object.hasOwn(item, `_${name}`)) return UNKNOWN;
      const v = item[name];
      if (v === undefined) {
        // A choice element (`value` → `valueQuantity`) or a primitive's extension: leave it to fhirpath.js.
        for (const k of Object.keys(item)) {
          if (k.length > name.length && k.startsWith(name) && /[A-Z]/.test(k.charAt(name.length))) {
            if (exact) return UNKNOWN;
            const c = item[k];
            if (Array.isArray(c)) next.push(...c);
            else next.push(c);
          } else if (k.startsWith(`_${name}`) && k.length > name.length + 1) return UNKNOWN;
        }
        continue;
      }
      if (Array.isArray(v)) next.push(...v.filter((x) => x !== null));
      else next.push(v);
    }
    items = next;
  }
  return items;
}

function evaluate(p: Program, node: Json): Tri | typeof UNKNOWN {
  switch (p[0]) {
    case "lit":
      return p[1];
    case "exists":
    case "empty": {
      const items = collect(node, p[1]);
      if (items === UNKNOWN) return UNKNOWN;
      return p[0] === "exists" ? items.length > 0 : items.length === 0;
    }
    case "eq":
    case "ne": {
      const items = collect(node, p[1], true);
      if (items === UNKNOWN || items.length > 1) return UNKNOWN;
      if (items.length === 0) return undefined;
      const item = items[0];
      if (typeof item !== typeof p[2]) return UNKNOWN;
      return p[0] === "eq" ? item === p[2] : item !== p[2];
    }
    case "count": {
      const items = collect(node, p[1]);
      if (items === UNKNOWN) return UNKNOWN;
      const n = items.length;
      const b = p[3];
      return p[2] === ">" ? n > b : p[2] === ">=" ? n >= b : p[2] === "<" ? n < b : n <= b;
    }
    case "not": {
      const v = evaluate(p[1], node);
      return v === UNKNOWN || v === undefined ? v : !v;
    }
    case "and": {
      const a = evaluate(p[1], node);
      if (a === false) return false;
      const b = evaluate(p[2], node);
      if (a === UNKNOWN || b === UNKNOWN) return b === false ? false : UNKNOWN;
      if (b === false) return false;
      return a === true && b === true ? true : undefined;
    }
    case "or": {
      const a = evaluate(p[1], node);
      if (a === true) return true;
      const b = evaluate(p[2], node);
      if (a === UNKNOWN || b === UNKNOWN) return b === true ? true : UNKNOWN;
      if (b === true) return true;
      return a === false && b === false ? false : undefined;
    }
    case "implies": {
      const a = evaluate(p[1], node);
      if (a === false) return true;
      const b = evaluate(p[2], node);
      if (b === true) return true;
      if (a === UNKNOWN || b === UNKNOWN) return UNKNOWN;
      if (a === true) return b;
      return undefined;
    }
  }
}

/** Runs `program` on `node`: true/false/undefined (empty) as FHIRPath would, or UNKNOWN. */
export function runProgram(program: Program, node: Json): Tri | typeof UNKNOWN {
  return evaluate(program, node);
}
