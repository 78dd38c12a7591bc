/**
 * The DfE CIN census validation rules the gateway checks before a child goes into a return: a child that fails
 * one is left out of the file and counted in the risk report. Numbers are the DfE rule numbers where known.
 */
import type { CensusChild, CensusEpisode } from "./cin-model.js";

/** The rules checked, by id. */
export const CIN_RULES = {
  "dates-in-order":
    "Dates in order (8630 and kin): referral ≤ closure, assessment start ≤ authorisation, plan and CP plan start ≤ end, s47 start ≤ initial conference, birth ≤ referral",
  "factor-21-alone": "Assessment factor 21 (no factors identified) stands alone (8869)",
  "sex-by-year": "GenderCurrent 0/1/2 up to the 2024 collection, Sex M/F/U from 2025 (4180)",
  "upn-check-letter": "A UPN's first letter is its check letter (1510)",
  "birth-xor-expected": "A birth date or an expected birth date, not both and not neither (8525)",
  "activity-in-year": "No activity after the census ReferenceDate; the child has an episode open in the census year",
  "required-items": "Items the schema requires are present (ethnicity, referral source, CP plan categories, ...)",
} as const;

/** A rule id. */
export type CinRule = keyof typeof CIN_RULES;

const UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWX";

/** The DfE check letter of a UPN's twelve digits, or undefined when none exists (remainder 21 or 22). */
export function upnCheckLetter(twelveDigits: string): string | undefined {
  if (!/^\d{12}$/.test(twelveDigits)) return undefined;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(twelveDigits[i]) * (i + 2);
  return UPN_LETTERS[sum % 23];
}

/**
 * True when `upn` fits the schema and, for a permanent UPN (thirteenth character a digit), its first letter is
 * the check letter of the twelve digits. A temporary UPN (ending in a letter) is checked against the pattern only.
 */
export function upnValid(upn: string): boolean {
  if (!/^[A-Z]\d{11}[0-9A-Z]$/.test(upn)) return false;
  if (!/\d$/.test(upn)) return true;
  return upnCheckLetter(upn.slice(1)) === upn[0];
}

/** The census year's first day and its ReferenceDate (31 March of `year`). */
export const censusYear = (year: number) => ({ start: `${year - 1}-04-01`, referenceDate: `${year}-03-31` });

/** The census code for the child's sex in `year`'s schema, or undefined when none fits. */
export function sexCode(gender: string | undefined, year: number): string | undefined {
  const table: Record<string, [string, string]> = { male: ["1", "M"], female: ["2", "F"], unknown: ["0", "U"] };
  const pair = gender ? table[gender] : undefined;
  return pair ? (year <= 2024 ? pair[0] : pair[1]) : undefined;
}

/** The episodes that belong in `year`'s census: referred by the ReferenceDate and not closed before the year began. */
export function episodesInYear(episodes: CensusEpisode[], year: number): CensusEpisode[] {
  const { start, referenceDate } = censusYear(year);
  return episodes.filter(
    (e) => (e.referralDate ?? "") <= referenceDate && (e.closureDate === undefined || e.closureDate >= start),
  );
}

const before = (a: string | undefined, b: string | undefined) => a === undefined || b === undefined || a <= b;

/** Every activity date of an episode. */
function activityDates(e: CensusEpisode): (string | undefined)[] {
  return [
    e.referralDate,
    e.closureDate,
    e.initialConference,
    ...e.assessments.flatMap((a) => [a.start, a.authorised]),
    ...e.plans.flatMap((p) => [p.start, p.end]),
    ...e.s47.flatMap((s) => [s.start, s.target, s.conference]),
    ...e.cpps.flatMap((c) => [c.start, c.end, ...c.reviews]),
  ];
}

/** The rules `child` (its episodes already cut to the census year) fails, in rule order; empty when it passes. */
export function cinFailures(child: CensusChild, year: number): CinRule[] {
  const failed = new Set<CinRule>();
  const { referenceDate } = censusYear(year);
  for (const e of child.episodes) {
    const ordered =
      before(e.referralDate, e.closureDate) &&
      before(child.birthDate, e.referralDate) &&
      e.assessments.every((a) => before(a.start, a.authorised)) &&
      e.plans.every((p) => before(p.start, p.end)) &&
      e.cpps.every((c) => before(c.start, c.end)) &&
      e.s47.every((s) => before(s.start, s.conference));
    if (!ordered) failed.add("dates-in-order");
    if (e.assessments.some((a) => a.factors.includes("21") && a.factors.length > 1)) failed.add("factor-21-alone");
    if (activityDates(e).some((d) => d !== undefined && d > referenceDate)) failed.add("activity-in-year");
    const required =
      e.referralDate !== undefined &&
      e.referralSource !== undefined &&
      e.assessments.every((a) => a.start !== undefined) &&
      e.plans.every((p) => p.start !== undefined) &&
      e.s47.every((s) => s.start !== undefined) &&
      e.cpps.every(
        (c) =>
          c.start !== undefined &&
          c.initialCategory !== undefined &&
          c.latestCategory !== undefined &&
          c.previous !== undefined,
      );
    if (!required) failed.add("required-items");
  }
  if (child.episodes.length === 0) failed.add("activity-in-year");
  if (sexCode(child.gender, year) === undefined) failed.add("sex-by-year");
  if (child.upn !== undefined && !upnValid(child.upn)) failed.add("upn-check-letter");
  if ((child.birthDate === undefined) === (child.expectedBirthDate === undefined)) failed.add("birth-xor-expected");
  if (!child.ethnicity || !child.laChildId) failed.add("required-items");
  return (Object.keys(CIN_RULES) as CinRule[]).filter((r) => failed.has(r));
}
