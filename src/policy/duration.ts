/** ISO 8601 durations of days, hours and minutes (the forms schema.ts accepts), added to an instant. */
import { DURATION } from "./schema.js";

/** Milliseconds in `duration` (`PT4H`, `P1D`, `P1DT30M`); throws on any other form. */
export function durationMs(duration: string): number {
  const m = DURATION.exec(duration);
  if (!m) throw new Error(`not a supported ISO 8601 duration: ${duration}`);
  const n = (part: string | undefined) => (part ? Number(part.slice(0, -1)) : 0);
  return ((n(m[1]) * 24 + n(m[3])) * 60 + n(m[4])) * 60_000;
}

/** The instant `duration` after `at` (ISO 8601, UTC). */
export const addDuration = (at: string, duration: string): string =>
  new Date(Date.parse(at) + durationMs(duration)).toISOString();
