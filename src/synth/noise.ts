/**
 * The noise model: how a source writes a person differently from the truth (identity noise) or
 * leaves something out (completeness noise). Every deviation is logged against the person, the
 * source and the record, so the ground truth says exactly what was applied to whom. Noise never
 * breaks a format: dates stay real, codes stay in their lists; a mistyped NHS number passes its
 * check digit unless the caller asks for invalid ones (`--invalid-nhs`), which fail it on purpose.
 */
import { SHARES } from "./config.js";
import { ageOn } from "./dates.js";
import { mistypeNhsNumber } from "./identifiers.js";
import type { Address, Household, Person } from "./model.js";
import { NICKNAMES, SPELLINGS, typo } from "./names.js";
import type { Rng } from "./prng.js";

/** Where a person is written: a CPA patient record, a child listed in a CPA Household, an NDTMS row, a CIN child. */
export type NoiseSource = "cpa" | "cpa-household" | "ndtms" | "cin";

export type NoiseKind =
  | "nhs-number-missing"
  | "nhs-number-mistyped"
  | "nhs-number-invalid"
  | "given-name-nickname"
  | "given-name-spelling"
  | "given-name-typo"
  | "family-name-spelling"
  | "family-name-hyphenation"
  | "family-name-typo"
  | "old-address"
  | "uprn-missing"
  | "birth-date-day-month-swapped"
  | "ethnicity-not-stated"
  | "parental-status-not-recorded"
  | "parental-status-declined"
  | "young-carer-not-recorded"
  | "consent-withheld";

export interface NoiseEntry {
  personId: string;
  source: NoiseSource;
  /** The record: `RX4/M1234567`, `RX4/M1234567/M1234567-K2`, `N0852/C123456/E1`, `991/EB1234567`. */
  record: string;
  kind: NoiseKind;
  /** The true and the written value where there is one. */
  truth?: string;
  written?: string;
}

export class NoiseLog {
  readonly entries: NoiseEntry[] = [];
  private readonly seen = new Set<string>();

  /** Records an entry once (the same gap found twice in one record is one gap). */
  add(entry: NoiseEntry): void {
    const key = JSON.stringify(entry);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.entries.push(entry);
  }
}

/** Where one person is being written, for logging. */
export interface Writing {
  rng: Rng;
  log: NoiseLog;
  person: Person;
  source: NoiseSource;
  record: string;
}

const note = (w: Writing, kind: NoiseKind, truth?: string, written?: string) =>
  w.log.add({
    personId: w.person.id,
    source: w.source,
    record: w.record,
    kind,
    ...(truth !== undefined ? { truth } : {}),
    ...(written !== undefined ? { written } : {}),
  });

/**
 * The NHS number as written: usually the true one, sometimes missing or mistyped. A mistype passes
 * the check digit (`nhs-number-mistyped`) unless `invalidNhs`, when it fails it (`nhs-number-invalid`).
 */
export function writtenNhsNumber(
  w: Writing,
  shares: { missing: number; mistyped: number },
  invalidNhs: boolean,
): string | undefined {
  const nhs = w.person.nhsNumber;
  if (!nhs) return undefined;
  if (w.rng.chance(shares.missing)) {
    note(w, "nhs-number-missing", nhs);
    return undefined;
  }
  if (w.rng.chance(shares.mistyped)) {
    const typed = mistypeNhsNumber(w.rng, nhs, !invalidNhs);
    note(w, invalidNhs ? "nhs-number-invalid" : "nhs-number-mistyped", nhs, typed);
    return typed;
  }
  return nhs;
}

export interface WrittenName {
  given?: string;
  family: string;
}

/** The name as written: usually the true one, sometimes a nickname, another spelling, a hyphenation variant or a typo. */
export function writtenName(w: Writing, share: number = SHARES.nameVariant): WrittenName {
  const { person, rng } = w;
  const given = person.givenName;
  const family = person.familyName;
  if (!rng.chance(share)) return { given, family };
  const options: (() => WrittenName)[] = [];
  const nick = given ? NICKNAMES[given] : undefined;
  const givenSpell = given ? SPELLINGS[given] : undefined;
  const familySpell = SPELLINGS[family];
  if (nick) {
    options.push(() => {
      const v = rng.pick(nick);
      note(w, "given-name-nickname", given, v);
      return { given: v, family };
    });
  }
  if (givenSpell) {
    options.push(() => {
      const v = rng.pick(givenSpell);
      note(w, "given-name-spelling", given, v);
      return { given: v, family };
    });
  }
  if (familySpell) {
    options.push(() => {
      const v = rng.pick(familySpell);
      note(w, "family-name-spelling", family, v);
      return { given, family: v };
    });
  }
  if (family.includes("-")) {
    options.push(() => {
      const parts = family.split("-");
      const v = rng.pick([parts.join(" "), parts.join(""), parts[0] as string, parts[parts.length - 1] as string]);
      note(w, "family-name-hyphenation", family, v);
      return { given, family: v };
    });
  }
  if (options.length === 0 || rng.chance(0.25)) {
    options.push(() => {
      if (given && rng.chance(0.5)) {
        const v = typo(rng, given);
        if (v !== given) note(w, "given-name-typo", given, v);
        return { given: v, family };
      }
      const v = typo(rng, family);
      if (v !== family) note(w, "family-name-typo", family, v);
      return { given, family: v };
    });
  }
  return rng.pick(options)();
}

/** The date of birth as written: rarely with day and month swapped (only adults of 25 or more, so age rules still hold). */
export function writtenBirthDate(w: Writing, referenceDate: string): string | undefined {
  const dob = w.person.birthDate;
  if (!dob || w.person.kind !== "adult" || ageOn(dob, referenceDate) < 25) return dob;
  if (!w.rng.chance(SHARES.dobTransposed)) return dob;
  const [y, m, d] = dob.split("-") as [string, string, string];
  if (Number(d) > 12 || d === m) return dob;
  const swapped = `${y}-${d}-${m}`;
  note(w, "birth-date-day-month-swapped", dob, swapped);
  return swapped;
}

/** The address as written: a mover's old address with probability 0.6 (the source was not told of the move). */
export function writtenAddress(w: Writing, household: Household): Address {
  const prev = w.person.previousAddress;
  if (prev && w.rng.chance(0.6)) {
    note(w, "old-address", household.address.uprn, prev.address.uprn);
    return prev.address;
  }
  return household.address;
}

/** Logs a completeness gap that is not a value (status not recorded, consent withheld). */
export const noteGap = (w: Writing, kind: NoiseKind, truth?: string, written?: string) => note(w, kind, truth, written);
