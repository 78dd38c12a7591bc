/** Calendar dates as `YYYY-MM-DD` strings, with day arithmetic in UTC (no time zones, no clock). */
import type { Rng } from "./prng.js";

export type IsoDate = string;

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 for a `YYYY-MM-DD` date. */
export function toDay(date: IsoDate): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
}

/** The `YYYY-MM-DD` date for a day number. */
export function fromDay(day: number): IsoDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export const addDays = (date: IsoDate, days: number): IsoDate => fromDay(toDay(date) + days);

/** The same day n years later (29 February becomes 28 February). */
export function addYears(date: IsoDate, years: number): IsoDate {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const ny = y + years;
  const leap = (ny % 4 === 0 && ny % 100 !== 0) || ny % 400 === 0;
  const day = m === 2 && d === 29 && !leap ? 28 : d;
  return `${String(ny).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** Whole days from a to b (positive when b is later). */
export const daysBetween = (a: IsoDate, b: IsoDate): number => toDay(b) - toDay(a);

export const maxDate = (...dates: IsoDate[]): IsoDate => dates.reduce((a, b) => (b > a ? b : a));
export const minDate = (...dates: IsoDate[]): IsoDate => dates.reduce((a, b) => (b < a ? b : a));

/** Whole years of age on a date. */
export function ageOn(birthDate: IsoDate, on: IsoDate): number {
  const [by, bm, bd] = birthDate.split("-").map(Number) as [number, number, number];
  const [y, m, d] = on.split("-").map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/** `YYYYMMDD`, as in NDTMS file names. */
export const compactDate = (date: IsoDate): string => date.replaceAll("-", "");

/** A uniformly chosen date in [from, to], both inclusive. */
export function randomDate(rng: Rng, from: IsoDate, to: IsoDate): IsoDate {
  return fromDay(rng.int(toDay(from), toDay(to)));
}

/** A birth date giving exactly `age` whole years on `on`. */
export function birthDateForAge(rng: Rng, age: number, on: IsoDate): IsoDate {
  const latest = addYears(on, -age);
  const earliest = addDays(addYears(on, -(age + 1)), 1);
  return randomDate(rng, earliest, latest);
}

/** True for a real calendar date. */
export function isCalendarDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}
