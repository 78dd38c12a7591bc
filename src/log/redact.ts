/**
 * What must never reach a log line: NHS numbers, names, dates of birth, postcodes, addresses and
 * tokens. Two layers: field names that are always censored, and value patterns scrubbed from
 * every string (so an identifier inside a message or an error is caught too).
 */

/** The text that replaces a censored value. */
export const CENSORED = "[REDACTED]";

/** Field names (matched case-insensitively, at any depth) whose values are always censored. */
export const REDACTED_KEYS = [
  "authorization",
  "cookie",
  "token",
  "access_token",
  "id_token",
  "password",
  "secret",
  "nhsnumber",
  "nhs_number",
  "name",
  "given",
  "family",
  "birthdate",
  "dob",
  "dateofbirth",
  "postcode",
  "postalcode",
  "address",
  "line",
  "telecom",
  "email",
  "phone",
] as const;

/** Value patterns scrubbed from every logged string, applied in this order (global regular expressions). */
export const IDENTIFYING_PATTERNS: readonly RegExp[] = [
  // JSON Web Tokens and bearer credentials.
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  /\bBearer\s+\S+/gi,
  // NHS numbers: ten digits, optionally spaced 3-3-4.
  /\b\d{3}[ -]?\d{3}[ -]?\d{4}\b/g,
  // UK postcodes.
  /\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b/gi,
  // Calendar dates (a date of birth looks like any other date; timestamps are logged as fields, not in text).
  /\b\d{4}-\d{2}-\d{2}\b/g,
  /\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/g,
];

/**
 * Matches where any of IDENTIFYING_PATTERNS would (the same alternatives, not global): one pass that tells whether a string needs
 * scrubbing at all. Most logged strings (request ids, route patterns, codes) hold none, and one test of the union is
 * cheaper than six replaces that find nothing.
 */
const ANY_PATTERN = new RegExp(IDENTIFYING_PATTERNS.map((p) => `(?:${p.source})`).join("|"), "i");

/** Replaces every identifying pattern in a string. */
export function scrubText(text: string): string {
  if (!ANY_PATTERN.test(text)) return text;
  let out = text;
  for (const p of IDENTIFYING_PATTERNS) out = out.replace(p, CENSORED);
  return out;
}

const SENSITIVE = new Set<string>(REDACTED_KEYS);

/** Deep-copies a log record, censoring sensitive keys and scrubbing strings. Cycles become "[Circular]". */
export function scrubRecord(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return scrubText(value);
  if (value instanceof Error) {
    // An unexpected error's message may quote data (a driver echoing a value), so it is never logged:
    // the type, the stable code and the stack frames are enough to find the fault.
    const frames = (value.stack ?? "")
      .split("\n")
      .filter((l) => /^\s+at /.test(l))
      .slice(0, 10);
    return {
      type: value.name,
      code: (value as { code?: unknown }).code,
      frames: frames.map((f) => scrubText(f.trim())),
    };
  }
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrubRecord(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SENSITIVE.has(k.toLowerCase()) ? CENSORED : scrubRecord(v, seen);
  }
  return out;
}
