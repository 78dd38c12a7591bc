/** The bounds every source reader holds to, whatever arrives: record size, nesting depth (docs/sources/limits.md). */

/** Limits a reader applies to one file. */
export interface ReaderLimits {
  /**
   * Largest record, in characters: a CSV row (all its lines), an NDJSON line, one `Patients` item of a
   * CPA JSON document, one CIN `Child` element (its element names and text). A longer one is that
   * record's rejection (or, where the record cannot be skipped without reading it, the file's fatal
   * problem) and is never held whole.
   */
  recordChars: number;
  /** Deepest nesting of objects/arrays (JSON) or elements (XML) inside a record, or of the file itself. */
  depth: number;
}

/**
 * The defaults: 1 MiB per record (the largest real CPA patient, with years of referrals, is tens of
 * kilobytes) and 32 levels (CPA records nest 5 deep, CIN children 7).
 */
export const READER_LIMITS: Readonly<ReaderLimits> = Object.freeze({ recordChars: 1024 * 1024, depth: 32 });

/** The replacement character: what invalid UTF-8 decodes to, so never accepted in source data. */
export const REPLACEMENT_CHAR = "\uFFFD";

/**
 * True when a JSON value nests deeper than `max` levels (objects and arrays; a scalar is depth 0). It
 * stops as soon as it passes `max`, so it never recurses more than `max + 1` deep, whatever the value.
 */
export function deeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (max <= 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === "object" && deeperThan(item, max - 1)) return true;
    return false;
  }
  for (const item of Object.values(value as Record<string, unknown>))
    if (item !== null && typeof item === "object" && deeperThan(item, max - 1)) return true;
  return false;
}

/**
 * The path (`a.b[2].c`, as the mapping's locators read it) of the first string value holding a
 * replacement character (invalid UTF-8), or of the object whose field name holds one ("" for the
 * record itself); undefined when there is none. Iterative (no recursion), so any depth is safe.
 */
export function replacementAt(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, ""]];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === "string") {
      if (v.includes(REPLACEMENT_CHAR)) return path;
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i] as string;
      const at = path ? `${path}.${k}` : k;
      if (k.includes(REPLACEMENT_CHAR)) return path;
      stack.push([(v as Record<string, unknown>)[k], at]);
    }
  }
  return undefined;
}
