/**
 * Blocking: the few indexed searches that find a record's candidates, so linking one record costs the
 * same in any population. Every rule is symmetric (if a finds b, b finds a), so the linker's clusters do
 * not depend on arrival order:
 *   identifiers — an NHS number or a source's own id in common (token `identifier`);
 *   date — birth date equal, day/month swapped or a year off (`birthdate`), and a given-name initial in common;
 *   date+family — birth date equal and a family-name initial in common (nicknames);
 *   postcode — a postcode in common (`address-postalcode`) and a family-name initial in common (wrong birth dates).
 */
import type { DerivedResource, DeriveView } from "../derive/port.js";
import { NHS_NUMBER_SYSTEM } from "../fhir/canonical.js";
import { dateRange } from "../fhir/search-dates.js";
import type { DateValue, SearchCriterion } from "../store/port.js";
import type { Features } from "./features.js";

const pad = (n: number) => String(n).padStart(2, "0");

/** The birth date as written, day/month swapped, and a year either side (only real calendar dates). */
export function birthDateVariants(date: string): string[] {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const out = new Set([date]);
  if (d <= 12 && d !== m) out.add(`${y}-${pad(d)}-${pad(m)}`);
  out.add(`${y - 1}-${pad(m)}-${pad(d)}`);
  out.add(`${y + 1}-${pad(m)}-${pad(d)}`);
  return [...out].filter((v) => dateRange(v) !== undefined);
}

const dateValues = (dates: string[]): DateValue[] =>
  dates.flatMap((d) => {
    const r = dateRange(d);
    return r ? [{ prefix: "eq" as const, start: r.start, end: r.end }] : [];
  });

const initials = (names: readonly string[]) => [...new Set(names.map((n) => n[0] as string))];

/** A postcode as indexes may hold it: without and with the space before the inward code. */
const postcodeForms = (p: string) => [p.toLowerCase(), `${p.slice(0, -3)} ${p.slice(-3)}`.toLowerCase()];

/** The blocking searches for one record (each an AND of criteria). */
export function blockingRules(f: Features): SearchCriterion[][] {
  const rules: SearchCriterion[][] = [];
  const ids = [
    ...f.nhs.map((value) => ({ system: NHS_NUMBER_SYSTEM, value })),
    ...f.ids.map((id) => {
      const bar = id.indexOf("|");
      return { system: id.slice(0, bar), value: id.slice(bar + 1) };
    }),
  ];
  if (ids.length) rules.push([{ kind: "token", param: "identifier", values: ids }]);
  const given = initials(f.given);
  const family = initials(f.family);
  if (f.birthDate && given.length)
    rules.push([
      { kind: "date", param: "birthdate", values: dateValues(birthDateVariants(f.birthDate)) },
      { kind: "string", param: "given", values: given, match: "prefix" },
    ]);
  if (f.birthDate && family.length)
    rules.push([
      { kind: "date", param: "birthdate", values: dateValues([f.birthDate]) },
      { kind: "string", param: "family", values: family, match: "prefix" },
    ]);
  if (f.postcodes.length && family.length)
    rules.push([
      { kind: "string", param: "address-postalcode", values: f.postcodes.flatMap(postcodeForms), match: "prefix" },
      { kind: "string", param: "family", values: family, match: "prefix" },
    ]);
  return rules;
}

/** The candidate records for `f`: every Patient some blocking rule finds, `f` itself left out. */
export async function candidatesOf(view: DeriveView, f: Features): Promise<DerivedResource[]> {
  const found = new Map<string, DerivedResource>();
  for (const rule of blockingRules(f)) {
    for (const r of await view.find("Patient", rule)) if (`Patient/${r.id}` !== f.key) found.set(r.id, r);
  }
  return [...found.values()];
}
