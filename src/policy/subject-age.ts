/** Adult or child at an instant, from a Patient's birth date (partial dates count only when they decide it). */

import { TFG_BASE } from "../fhir/canonical.js";
import { eighteenthBirthday } from "../flags/dates.js";
import type { SubjectKind } from "./facts.js";

const EXPECTED_BIRTH_DATE = `${TFG_BASE}/StructureDefinition/expected-birth-date`;

const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** The earliest and latest day a FHIR date (`2010`, `2010-05`, `2010-05-14`) can be. */
function dayRange(value: string): [string, string] | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value.slice(0, 10));
  if (!m) return undefined;
  const [, y, mo, d] = m;
  if (d) return [`${y}-${mo}-${d}`, `${y}-${mo}-${d}`];
  if (mo) return [`${y}-${mo}-01`, `${y}-${mo}-${String(lastDay(Number(y), Number(mo))).padStart(2, "0")}`];
  return [`${y}-01-01`, `${y}-12-31`];
}

/**
 * `child` before the 18th birthday (or unborn: no birth date but an expected one), `adult` from it,
 * `unknown` when the record has no birth date or a partial one the 18th birthday falls within.
 */
export function subjectKindOf(patient: Record<string, unknown> | undefined, at: string): SubjectKind {
  if (!patient) return "unknown";
  const today = at.slice(0, 10);
  const birth = typeof patient.birthDate === "string" ? dayRange(patient.birthDate) : undefined;
  if (!birth) {
    const ext = Array.isArray(patient.extension) ? patient.extension : [];
    const unborn = ext.some((e) => (e as { url?: unknown } | null)?.url === EXPECTED_BIRTH_DATE);
    return unborn ? "child" : "unknown";
  }
  if (today < eighteenthBirthday(birth[0])) return "child";
  if (today >= eighteenthBirthday(birth[1])) return "adult";
  return "unknown";
}
