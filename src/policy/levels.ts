/** Disclosure levels (DOMAIN.md §4), each including the one before, and how to compare them. */

/** The levels from least to most shown. */
export const LEVELS = ["none", "existence", "contact", "summary", "sensitive"] as const;

/** A disclosure level. */
export type Level = (typeof LEVELS)[number];

/** The rank of a level: `none` 0 … `sensitive` 4. */
export const rankOf = (level: Level): number => LEVELS.indexOf(level);

/** True when `granted` shows at least what `needed` needs. */
export const covers = (granted: Level, needed: Level): boolean => rankOf(granted) >= rankOf(needed);

/** The lower of two levels. */
export const lowerOf = (a: Level, b: Level): Level => (rankOf(a) <= rankOf(b) ? a : b);
