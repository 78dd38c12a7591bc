/**
 * FHIR dates as ranges (http://hl7.org/fhir/R4/search.html#date): a date, dateTime or instant of any
 * precision denotes the half-open range [start, end) of instants it covers. A value without a zone (a
 * date, or a time with no offset) is read in the server's zone (TFG_TIMEZONE, default UTC), both when
 * indexing and when searching, so the two always agree.
 */

/** The earliest and latest instants the index uses for an open-ended period. */
export const MIN_INSTANT = "0000-01-01T00:00:00.000Z";
export const MAX_INSTANT = "9999-12-31T23:59:59.999Z";

let serverZone = "UTC";
const formatters = new Map<string, Intl.DateTimeFormat>();

/** True when `zone` is an IANA time zone name this runtime knows (e.g. `Europe/London`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Sets the zone that dates without an offset are read in (once, at start-up, from configuration). */
export function setServerTimeZone(zone: string): void {
  if (!isTimeZone(zone)) throw new RangeError("Unknown time zone");
  serverZone = zone;
}

/** The zone dates without an offset are read in. */
export function serverTimeZone(): string {
  return serverZone;
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Milliseconds since the epoch for UTC wall-clock fields, valid for years 0–9999. */
function utc(year: number, month: number, day: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  d.setUTCHours(h, mi, s, ms);
  return d.getTime();
}

/** The zone's offset from UTC, in milliseconds, at instant `t`. */
function offsetAt(zone: string, t: number): number {
  if (zone === "UTC") return 0;
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  );
  const wall = utc(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return wall - (t - (((t % 1000) + 1000) % 1000));
}

/** The instant at which the wall clock in `zone` shows the given UTC-style field time `wall`. */
function fromWallClock(zone: string, wall: number): number {
  const first = wall - offsetAt(zone, wall);
  const second = wall - offsetAt(zone, first);
  return second;
}

const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** An instant range, ISO 8601 UTC with milliseconds, `end` exclusive. */
export interface InstantRange {
  start: string;
  end: string;
}

/**
 * The half-open range [start, end) a FHIR date/dateTime/instant of any precision denotes, read in
 * `zone` when it carries no offset. Undefined when `text` is not a valid FHIR date.
 */
export function dateRange(text: string, zone: string = serverZone): InstantRange | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  if (month > 11) return undefined;
  const calendarDay = new Date(utc(year, month, day));
  if (calendarDay.getUTCMonth() !== month || calendarDay.getUTCDate() !== day) return undefined;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59))) return undefined;
  if (tz && tz !== "Z" && (Number(tz.slice(1, 3)) > 14 || Number(tz.slice(4, 6)) > 59)) return undefined;
  let wallStart: number;
  let wallEnd: number;
  if (h !== undefined) {
    const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
    wallStart = utc(year, month, day, Number(h), Number(mi), s ? Number(s) : 0, ms);
    wallEnd = wallStart + (frac ? 1 : s !== undefined ? 1000 : 60_000);
  } else if (d) {
    wallStart = utc(year, month, day);
    wallEnd = utc(year, month, day + 1);
  } else if (mo) {
    wallStart = utc(year, month, 1);
    wallEnd = utc(year, month + 1, 1);
  } else {
    wallStart = utc(year, 0, 1);
    wallEnd = utc(year + 1, 0, 1);
  }
  let start: number;
  let end: number;
  if (tz) {
    const sign = tz.startsWith("-") ? -1 : 1;
    const offset = tz === "Z" ? 0 : sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60_000;
    start = wallStart - offset;
    end = wallEnd - offset;
  } else {
    start = fromWallClock(zone, wallStart);
    end = fromWallClock(zone, wallEnd);
  }
  return { start: iso(start), end: iso(end) };
}

const MIN_TIME = Date.parse(MIN_INSTANT);
const MAX_TIME = Date.parse(MAX_INSTANT);

/** ISO 8601 UTC with milliseconds, clamped to the index's bounds. */
function iso(t: number): string {
  if (t < MIN_TIME) return MIN_INSTANT;
  if (t > MAX_TIME) return MAX_INSTANT;
  return new Date(t).toISOString();
}

/**
 * A search value's range as the index compares it. The index's last instant, {@link MAX_INSTANT}, stands for "no
 * end" (an open Period is stored as ending there), so a search range that reaches it (a value in the last hours
 * of 9999, or `9999` itself, which really ends in the year 10000) ends one millisecond before it instead: then
 * `gt9999` finds the open-ended, `eq9999` does not claim them, and `le9999` still finds everything finite. (So a
 * stored value in the last hours of 9999 reads as open-ended: the index cannot tell the two apart.)
 */
export function searchRange(range: InstantRange): InstantRange {
  if (range.end !== MAX_INSTANT) return range;
  const last = Date.parse(MAX_INSTANT);
  const end = new Date(last - 1).toISOString();
  // A value that starts there too (9999-12-31T12:00-12:00 is already the year 10000) keeps a range of its own.
  const start = range.start < end ? range.start : new Date(last - 2).toISOString();
  return { start, end };
}

/** The range a Period (`start`/`end`, either open) covers; undefined when neither bound is a valid date. */
export function periodRange(period: { start?: unknown; end?: unknown }): InstantRange | undefined {
  const start = typeof period.start === "string" ? dateRange(period.start) : undefined;
  const end = typeof period.end === "string" ? dateRange(period.end) : undefined;
  if (!start && !end) return undefined;
  return { start: start?.start ?? MIN_INSTANT, end: end?.end ?? MAX_INSTANT };
}

/** Widens a search range for the `ap` prefix: by 10% of the gap between now and the value, on each side. */
export function approximately(range: InstantRange, now: Date): InstantRange {
  const s = Date.parse(range.start);
  const e = Date.parse(range.end);
  const gap = Math.max(Math.abs(now.getTime() - s), Math.abs(now.getTime() - e));
  const margin = Math.max(Math.round(gap * 0.1), e - s > 0 ? 0 : 1);
  return { start: iso(s - margin), end: iso(e + margin) };
}
