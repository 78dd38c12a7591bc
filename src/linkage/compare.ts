/**
 * Compares two Patient records: a valid NHS number in common links outright, then a source's own
 * stable id in common, then Fellegi–Sunter weights summed over name, date of birth, sex and address.
 * Symmetric: compare(a, b) and compare(b, a) decide the same, so a link never depends on which record came first.
 */
/// <reference path="./jaro-winkler.d.ts" />
import { doubleMetaphone } from "double-metaphone";
import jaroWinkler from "jaro-winkler";
import type { Features } from "./features.js";
import { nicknameOf } from "./nicknames.js";
import { surnameShare } from "./surname-frequency.js";
import { type Field, LEVELS, type Level, LINK_THRESHOLD, REVIEW_THRESHOLD, SIMILAR_NAME, weightOf } from "./weights.js";

/** One field's comparison: the level reached and its weight. */
export interface FieldEvidence {
  field: Field;
  level: string;
  weight: number;
}

/** How two records were compared and what was decided. */
export interface Comparison {
  method: "nhs-number" | "stable-id" | "probabilistic";
  /** Summed weight (probabilistic), or undefined when an identifier decided. */
  total?: number;
  fields: FieldEvidence[];
  decision: "link" | "review" | "none";
}

const intersects = (a: readonly string[], b: readonly string[]) => a.some((x) => b.includes(x));

function level(field: Field, name: string, l: Level): FieldEvidence {
  return { field, level: name, weight: weightOf(l) };
}

const metaphones = (s: string) => doubleMetaphone(s).filter((c) => c !== "");

const soundAlike = (a: string, b: string) => intersects(metaphones(a), metaphones(b));

function compareGiven(a: Features, b: Features): FieldEvidence | undefined {
  if (!a.given.length || !b.given.length) return undefined;
  const L = LEVELS.given;
  if (a.initialsOnly || b.initialsOnly || a.given.some((g) => g.length === 1) || b.given.some((g) => g.length === 1))
    return intersects(
      a.given.map((g) => g[0] as string),
      b.given.map((g) => g[0] as string),
    )
      ? level("given", "initial", L.initial)
      : level("given", "different", L.different);
  if (intersects(a.given, b.given)) return level("given", "exact", L.exact);
  for (const x of a.given)
    for (const y of b.given)
      if (nicknameOf(x, y) || x.startsWith(y) || y.startsWith(x)) return level("given", "nickname", L.nickname);
  for (const x of a.given)
    for (const y of b.given)
      if (jaroWinkler(x, y) >= SIMILAR_NAME || soundAlike(x, y)) return level("given", "similar", L.similar);
  return level("given", "different", L.different);
}

function compareFamily(a: Features, b: Features): FieldEvidence | undefined {
  if (!a.family.length || !b.family.length) return undefined;
  const L = LEVELS.family;
  if (a.initialsOnly || b.initialsOnly || a.family.some((f) => f.length === 1) || b.family.some((f) => f.length === 1))
    return intersects(
      a.family.map((f) => f[0] as string),
      b.family.map((f) => f[0] as string),
    )
      ? level("family", "initial", L.initial)
      : level("family", "different", L.different);
  const wholeA = a.family[0] as string;
  const wholeB = b.family[0] as string;
  if (wholeA === wholeB) {
    const u = Math.max(L.exact.u, surnameShare(wholeA));
    return level("family", "exact", { m: L.exact.m, u });
  }
  if (intersects(a.family, b.family)) return level("family", "part", L.part);
  if (jaroWinkler(wholeA, wholeB) >= SIMILAR_NAME || soundAlike(wholeA, wholeB))
    return level("family", "similar", L.similar);
  return level("family", "different", L.different);
}

function compareBirthDate(a: Features, b: Features): FieldEvidence | undefined {
  if (!a.birthDate || !b.birthDate) return undefined;
  const L = LEVELS.birthDate;
  if (a.birthDate === b.birthDate) return level("birthDate", "exact", L.exact);
  const [ya, ma, da] = a.birthDate.split("-");
  const [yb, mb, db] = b.birthDate.split("-");
  if (ya === yb && ma === db && da === mb) return level("birthDate", "day-month-swapped", L["day-month-swapped"]);
  if (ma === mb && da === db && Math.abs(Number(ya) - Number(yb)) === 1)
    return level("birthDate", "year-off", L["year-off"]);
  return level("birthDate", "different", L.different);
}

function compareSex(a: Features, b: Features): FieldEvidence | undefined {
  if (!a.sex || !b.sex) return undefined;
  return a.sex === b.sex ? level("sex", "same", LEVELS.sex.same) : level("sex", "different", LEVELS.sex.different);
}

/** The outward code (district) of a normalised postcode: all but the last three characters. */
const district = (postcode: string) => postcode.slice(0, -3);

function compareAddress(a: Features, b: Features): FieldEvidence | undefined {
  const L = LEVELS.address;
  if (intersects(a.uprns, b.uprns)) return level("address", "same-uprn", L["same-uprn"]);
  if (!a.postcodes.length || !b.postcodes.length) return undefined;
  if (intersects(a.postcodes, b.postcodes)) return level("address", "same-postcode", L["same-postcode"]);
  if (intersects(a.postcodes.map(district), b.postcodes.map(district)))
    return level("address", "same-district", L["same-district"]);
  return level("address", "different", L.different);
}

/** Digits in which two ten-digit numbers differ. */
function digitsApart(a: string, b: string): number {
  let n = 0;
  for (let i = 0; i < 10; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** Two sets of valid NHS numbers with none in common: `near` when some pair is at most two digits apart. */
function compareNhsNumbers(a: readonly string[], b: readonly string[]): FieldEvidence {
  const L = LEVELS.nhsNumber;
  return a.some((x) => b.some((y) => digitsApart(x, y) <= 2))
    ? level("nhsNumber", "near", L.near)
    : level("nhsNumber", "different", L.different);
}

/** Compares two records and decides: link, review (a possible match), or nothing. */
export function compare(a: Features, b: Features): Comparison {
  if (intersects(a.nhs, b.nhs)) {
    return { method: "nhs-number", fields: [{ field: "nhsNumber", level: "same", weight: 0 }], decision: "link" };
  }
  if (intersects(a.ids, b.ids)) {
    return { method: "stable-id", fields: [{ field: "nhsNumber", level: "missing", weight: 0 }], decision: "link" };
  }
  const fields: FieldEvidence[] = [];
  if (a.nhs.length && b.nhs.length) fields.push(compareNhsNumbers(a.nhs, b.nhs));
  for (const f of [compareGiven, compareFamily, compareBirthDate, compareSex, compareAddress]) {
    const e = f(a, b);
    if (e) fields.push(e);
  }
  const total = Math.round(fields.reduce((s, f) => s + f.weight, 0) * 100) / 100;
  const decision = total >= LINK_THRESHOLD ? "link" : total >= REVIEW_THRESHOLD ? "review" : "none";
  return { method: "probabilistic", total, fields, decision };
}
