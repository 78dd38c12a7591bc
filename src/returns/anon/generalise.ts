/** Generalisation: a date of birth to the first of its month or to an age band; a postcode to its district. */
import { toDistrict } from "postcode";

/** `YYYY-MM-01` of a date (`YYYY-MM-DD…`), or undefined when it is not one. */
export function firstOfMonth(date: string | undefined): string | undefined {
  if (!date || !/^\d{4}-\d{2}/.test(date)) return undefined;
  return `${date.slice(0, 7)}-01`;
}

/** Whole years of age on `on` of someone born on `birthDate` (both `YYYY-MM-DD`). */
export function ageOn(birthDate: string, on: string): number {
  const [by, bm, bd] = birthDate.slice(0, 10).split("-").map(Number) as [number, number, number];
  const [y, m, d] = on.slice(0, 10).split("-").map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/** An age band: a label and its inclusive bounds in whole years. */
export interface AgeBand {
  label: string;
  min: number;
  max: number;
}

/** The children's bands of the mental health return (DOMAIN.md §5). */
export const CHILD_AGE_BANDS: readonly AgeBand[] = [
  { label: "0-4", min: 0, max: 4 },
  { label: "5-9", min: 5, max: 9 },
  { label: "10-15", min: 10, max: 15 },
  { label: "16-17", min: 16, max: 17 },
];

/** The band `age` falls in, or undefined outside every band. */
export const bandOf = (age: number, bands: readonly AgeBand[] = CHILD_AGE_BANDS) =>
  bands.find((b) => age >= b.min && age <= b.max)?.label;

/** The postcode district (`LS1 4AP` → `LS1`; `SW1A 1AA` → `SW1`, the district without its sub-district letter), or undefined when the text is not a valid postcode. */
export function postcodeDistrict(postcode: string | undefined): string | undefined {
  if (!postcode) return undefined;
  return toDistrict(postcode) ?? undefined;
}
