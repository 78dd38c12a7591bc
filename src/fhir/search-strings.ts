/** String search normalisation (http://hl7.org/fhir/R4/search.html#string): case- and accent-insensitive. */

/** Longest indexed string, in characters; longer values are cut (a prefix search still finds them). */
export const MAX_STRING_LENGTH = 256;

/**
 * The form strings are indexed and compared in: lower case, accents removed (NFD, combining marks
 * dropped), runs of white space as one space, cut to MAX_STRING_LENGTH.
 */
export function normaliseString(text: string): string {
  return text
    .toLowerCase()
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, MAX_STRING_LENGTH)
    .trim();
}

/**
 * The smallest string greater than every string that starts with `prefix` in code-point order, or
 * undefined if there is none: the exclusive upper bound of a prefix range scan.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const chars = [...prefix];
  while (chars.length > 0) {
    const last = (chars.pop() as string).codePointAt(0) as number;
    let next = last + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return chars.join("") + String.fromCodePoint(next);
  }
  return undefined;
}
