/**
 * Synthetic identifiers: NHS numbers from the test range 999 000 0000–999 999 9999 with valid
 * modulus-11 check digits (reference notes §4.2), deliberate mistypes (wrong but valid, or failing the check), UPNs
 * with the DfE check letter (CIN rule 1510), UPRNs starting 9, and unique local ids.
 */
import { isValidNhsNumber, nhsCheckDigit } from "../fhir/nhs-number.js";
import type { Rng } from "./prng.js";

/** A new NHS number in the test range with a correct check digit, never one already in `used`. */
export function issueNhsNumber(rng: Rng, used: Set<string>): string {
  for (;;) {
    const body = `999${rng.digits(6)}`;
    const check = nhsCheckDigit(body);
    if (check === undefined) continue;
    const nhs = `${body}${check}`;
    if (used.has(nhs)) continue;
    used.add(nhs);
    return nhs;
  }
}

/**
 * The NHS number as someone might mistype it, never in the `999` prefix, always in the test range.
 *
 * - `passesCheck` false: one digit changed or two neighbouring digits swapped. Modulus 11 catches
 *   every such slip, so the result always fails the check digit (a system that never checked it).
 * - `passesCheck` true: a wrong number that still passes modulus 11, as gets through an EPR that
 *   checks the digit at entry (one body digit changed and the check digit re-keyed to match). The
 *   check cannot catch it; only linkage can.
 */
export function mistypeNhsNumber(rng: Rng, nhs: string, passesCheck = false): string {
  if (passesCheck) {
    for (;;) {
      const d = nhs.slice(0, 9).split("");
      const i = rng.int(3, 8);
      d[i] = String((Number(d[i]) + rng.int(1, 9)) % 10);
      const body = d.join("");
      const check = nhsCheckDigit(body);
      if (check === undefined) continue;
      const typed = `${body}${check}`;
      if (typed !== nhs) return typed;
    }
  }
  for (;;) {
    const d = nhs.split("");
    if (rng.chance(0.5)) {
      const i = rng.int(3, 8);
      if (d[i] === d[i + 1]) continue;
      [d[i], d[i + 1]] = [d[i + 1] as string, d[i] as string];
    } else {
      const i = rng.int(3, 9);
      const was = d[i];
      d[i] = String((Number(was) + rng.int(1, 9)) % 10);
    }
    const typed = d.join("");
    if (typed !== nhs && !isValidNhsNumber(typed)) return typed;
  }
}

const UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWX";

/** The DfE UPN check letter for the twelve digits after it, or undefined when no letter exists (remainder 21 or 22). */
export function upnCheckLetter(twelveDigits: string): string | undefined {
  if (!/^\d{12}$/.test(twelveDigits)) return undefined;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(twelveDigits[i]) * (i + 2);
  return UPN_LETTERS[sum % 23];
}

/** A UPN: check letter, LA code, school number, two-digit year of allocation, serial. */
export function issueUpn(rng: Rng, lea: string, yearAllocated: number, used: Set<string>): string {
  const school = String(rng.int(2000, 2999));
  const yy = String(yearAllocated % 100).padStart(2, "0");
  for (;;) {
    const digits = `${lea}${school}${yy}${rng.digits(3)}`;
    const letter = upnCheckLetter(digits);
    if (letter === undefined) continue;
    const upn = `${letter}${digits}`;
    if (used.has(upn)) continue;
    used.add(upn);
    return upn;
  }
}

/** A unique id drawn by `make` (retries on a clash). */
export function uniqueId(used: Set<string>, make: () => string): string {
  for (;;) {
    const id = make();
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

/** A synthetic UPRN: 12 digits starting 9. */
export const issueUprn = (rng: Rng, used: Set<string>): string => uniqueId(used, () => `9${rng.digits(11)}`);
