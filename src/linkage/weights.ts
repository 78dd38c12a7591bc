/**
 * Fixed Fellegi–Sunter m and u probabilities per comparison level (docs/LINKAGE.md explains each).
 * A level's weight is log2(m/u): agreement the more likely among true matches than among random pairs,
 * the stronger. Fixed in code, not estimated from the store, so a link never depends on arrival order.
 */

/** One comparison level: m = P(level | same person), u = P(level | different people). */
export interface Level {
  m: number;
  u: number;
}

/** The comparison levels per field. `missing` (either side absent) always weighs 0. */
export const LEVELS = {
  given: {
    exact: { m: 0.8, u: 0.01 },
    nickname: { m: 0.06, u: 0.002 },
    similar: { m: 0.1, u: 0.02 },
    initial: { m: 0.97, u: 0.07 },
    different: { m: 0.005, u: 0.9 },
  },
  family: {
    /** u is term-frequency adjusted: the surname's share of the population when larger (surname-frequency.ts). */
    exact: { m: 0.85, u: 0.001 },
    part: { m: 0.05, u: 0.002 },
    similar: { m: 0.06, u: 0.01 },
    initial: { m: 0.97, u: 0.06 },
    different: { m: 0.04, u: 0.98 },
  },
  birthDate: {
    exact: { m: 0.93, u: 0.00005 },
    "day-month-swapped": { m: 0.02, u: 0.00005 },
    "year-off": { m: 0.02, u: 0.0001 },
    different: { m: 0.03, u: 0.9998 },
  },
  sex: {
    same: { m: 0.98, u: 0.5 },
    different: { m: 0.02, u: 0.5 },
  },
  address: {
    "same-uprn": { m: 0.7, u: 0.02 },
    "same-postcode": { m: 0.7, u: 0.03 },
    "same-district": { m: 0.1, u: 0.1 },
    different: { m: 0.2, u: 0.87 },
  },
  nhsNumber: {
    /**
     * Two valid numbers at most two digits apart (a keying slip that still passes modulus 11 changes a body digit and
     * the check digit): about as likely for one person mistyped as for two people numbered in sequence (twins), so
     * nearly neutral — the other fields decide.
     */
    near: { m: 0.0015, u: 0.001 },
    /** Agreement links outright (level4); disagreement between two valid numbers weighs heavily against. */
    different: { m: 0.0002, u: 0.9999 },
  },
} as const satisfies Record<string, Record<string, Level>>;

/** The fields compared. */
export type Field = keyof typeof LEVELS;

/** log2(m/u), rounded to hundredths so the same pair always gives the same number on every platform. */
export const weightOf = (l: Level): number => Math.round(Math.log2(l.m / l.u) * 100) / 100;

/** At or above: an automatic link. */
export const LINK_THRESHOLD = 24;
/** At or above (and below {@link LINK_THRESHOLD}): a possible match for review. */
export const REVIEW_THRESHOLD = 18;

/** Jaro–Winkler similarity at or above which two names count as `similar`. */
export const SIMILAR_NAME = 0.9;
