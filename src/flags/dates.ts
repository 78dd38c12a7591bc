/** Calendar dates as the flags rules compare them: `YYYY-MM-DD` strings, never the clock. */

/**
 * The day of a FHIR date or dateTime (`2026`, `2026-03`, `2026-03-14`, `2026-03-14T10:00:00Z`) as
 * `YYYY-MM-DD`, a partial date taken as its first day; undefined for anything else.
 */
export function day(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(value);
  if (!m) return undefined;
  return `${m[1]}-${m[2] ?? "01"}-${m[3] ?? "01"}`;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * The 18th birthday of someone born on `birth` (`YYYY-MM-DD`): the first day they are no longer a
 * child. Born on 29 February, they come of age on 1 March of a common year (as English law counts it).
 */
export function eighteenthBirthday(birth: string): string {
  const y = Number(birth.slice(0, 4)) + 18;
  const md = birth.slice(5);
  if (md === "02-29" && !isLeap(y)) return `${y}-03-01`;
  return `${String(y).padStart(4, "0")}-${md}`;
}

/** The latest of the defined dates, or undefined. */
export function latest(dates: Iterable<string | undefined>): string | undefined {
  let best: string | undefined;
  for (const d of dates) if (d !== undefined && (best === undefined || d > best)) best = d;
  return best;
}

/** The earliest of the defined dates, or undefined. */
export function earliest(dates: Iterable<string | undefined>): string | undefined {
  let best: string | undefined;
  for (const d of dates) if (d !== undefined && (best === undefined || d < best)) best = d;
  return best;
}
