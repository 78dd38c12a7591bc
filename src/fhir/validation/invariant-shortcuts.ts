/**
 * Sufficient conditions, checked in plain JavaScript, under which an R4 invariant certainly holds, so the
 * FHIRPath engine runs only when it might fail. Each is a direct reading of the invariant's expression; when
 * a shortcut says nothing, fhirpath.js decides.
 */

type Json = Record<string, unknown>;

/** Same-precision date/time strings compare like their text (a `Z` or the same offset on both, or none). */
const comparableText = (a: string, b: string) =>
  a.length === b.length && (a.length <= 10 || (a.endsWith("Z") && b.endsWith("Z")));

/** `name.exists()` for a primitive: its value or its `_name` extension object. */
const has = (n: Json, name: string) => n[name] !== undefined || n[`_${name}`] !== undefined;

const codings = (cc: unknown): Json[] =>
  cc && typeof cc === "object" && Array.isArray((cc as Json).coding) ? ((cc as Json).coding as Json[]) : [];

/** Codings as FHIRPath compares them in `intersect` (every property equal); null when one is not flat. */
const flatKey = (c: Json): string | null => {
  const keys = Object.keys(c).sort();
  if (keys.some((k) => c[k] !== null && typeof c[k] === "object")) return null;
  return JSON.stringify(keys.map((k) => [k, c[k]]));
};

/** obs-7: no component coding equals a coding of Observation.code (so `intersect` is empty), or no value. */
function obs7(n: Json): boolean {
  if (!Object.keys(n).some((k) => /^_?value[A-Z]/.test(k)) || !Array.isArray(n.component)) return true;
  const own = new Set<string | null>(codings(n.code).map(flatKey));
  if (own.has(null)) return false;
  return !(n.component as Json[]).some((comp) =>
    codings(comp?.code).some((c) => {
      const k = flatKey(c);
      return k === null || own.has(k);
    }),
  );
}

/** Every string value anywhere in `v` (references, canonicals and uris among them). */
function strings(v: unknown, out: Set<string>): Set<string> {
  if (typeof v === "string") out.add(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === "object") for (const x of Object.values(v)) strings(x, out);
  return out;
}

/**
 * dom-3: every contained resource is referenced as `#id` from somewhere in the resource (R4 counts references,
 * canonicals and uris; any string equal to `#id` is taken here, so only a pass is decided).
 */
function dom3(n: Json): boolean {
  if (!Array.isArray(n.contained)) return true;
  const values = strings(n, new Set());
  return n.contained.every((c) => c && typeof c === "object" && values.has(`#${String((c as Json).id)}`));
}

const SHORTCUTS: Record<string, (node: Json) => boolean> = {
  // dom-3: contained.where(('#'+id in %resource.descendants().reference | …) …).empty()
  "dom-3": dom3,
  // obs-7: value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()
  "obs-7": obs7,
  // ref-1: reference.startsWith('#').not() or (…in %rootResource.contained.id)
  "ref-1": (n) => typeof n.reference !== "string" || !n.reference.startsWith("#"),
  // per-1: start.hasValue().not() or end.hasValue().not() or (start <= end)
  "per-1": (n) =>
    typeof n.start !== "string" || typeof n.end !== "string" || (comparableText(n.start, n.end) && n.start <= n.end),
  // cpt-2: value.empty() or system.exists()
  "cpt-2": (n) => !has(n, "value") || has(n, "system"),
  // qty-3: code.empty() or system.exists()
  "qty-3": (n) => !has(n, "code") || has(n, "system"),
  // att-1: data.empty() or contentType.exists()
  "att-1": (n) => !has(n, "data") || has(n, "contentType"),
};

/** True when invariant `key` certainly holds on `node` without evaluating its FHIRPath. */
export function passesWithoutFhirPath(key: string, node: Json): boolean {
  const f = SHORTCUTS[key];
  return f?.(node) === true;
}
