/** The NHS small-number rule below national level: 1–7 → `*`, every other count rounded to the nearest 5. */

/** A released cell: a number, or `*` for a suppressed one. */
export type NhsCell = number | "*";

/** Applies the rule to one count (0 stays 0; 8 → 10, 12 → 10, 13 → 15; halves round up). */
export function nhsRule(count: number): NhsCell {
  if (!Number.isInteger(count) || count < 0) throw new RangeError("a count is a whole number from 0");
  if (count >= 1 && count <= 7) return "*";
  return Math.round(count / 5) * 5;
}

/**
 * A percentage computed from the released figures (as NHS practice computes shares from rounded counts),
 * or `*` when either figure is suppressed, null when the denominator is 0. One decimal place.
 */
export function nhsShare(numerator: NhsCell, denominator: NhsCell): number | "*" | null {
  if (numerator === "*" || denominator === "*") return "*";
  if (denominator === 0) return null;
  return Math.round((numerator / denominator) * 1000) / 10;
}
