/**
 * Blocking: the few indexed searches that find a record's candidates, so linking one record costs the
 * same in any population. Every rule is symmetric (if a finds b, b finds a), so the linker's clusters do
 * not depend on arrival order, and each is selective on its own (a criterion such as "a name starting
 * with s" would make the database read a twentieth of the population before intersecting):
 *   identifiers — an NHS number or a source's own id in common (token `identifier`);
 *   date — birth date equal, day/month swapped or a year off (`birthdate`);
 *   postcode — a postcode in common (`address-postalcode`: people whose birth date is written wrong).
 * A rule whose block holds more than {@link MAX_BLOCK} records is not used for that record.
 * Between a Patient and a RelatedPerson known by name and birth date (features.ts) only the NHS number and birth
 * date rules apply, both ways: a related-people row always gives a birth date, and the postcode blocks of
 * everyone's relatives would be many times larger than those of Patients.
 */
import type { DerivedResource, DeriveView } from "../derive/port.js";
import { NHS_NUMBER_SYSTEM } from "../fhir/canonical.js";
import { dateRange } from "../fhir/search-dates.js";
import type { DateValue, SearchCriterion } from "../store/port.js";
import { type Features, isLinkableRelatedPerson } from "./features.js";

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

/** A postcode as indexes may hold it: without and with the space before the inward code. */
const postcodeForms = (p: string) => [p.toLowerCase(), `${p.slice(0, -3)} ${p.slice(-3)}`.toLowerCase()];

/**
 * The blocking searches for one record, each a single indexed value: the SQL stores answer one value
 * from an index range, while several values ORed in one criterion are filtered from a scan.
 */
export function blockingRules(f: Features): SearchCriterion[][] {
  const rules: SearchCriterion[][] = [];
  for (const value of f.nhs)
    rules.push([{ kind: "token", param: "identifier", values: [{ system: NHS_NUMBER_SYSTEM, value }] }]);
  for (const id of f.ids) {
    const bar = id.indexOf("|");
    rules.push([
      { kind: "token", param: "identifier", values: [{ system: id.slice(0, bar), value: id.slice(bar + 1) }] },
    ]);
  }
  for (const date of f.birthDate ? birthDateVariants(f.birthDate) : [])
    rules.push([{ kind: "date", param: "birthdate", values: dateValues([date]) }]);
  for (const form of f.postcodes.flatMap(postcodeForms))
    rules.push([{ kind: "string", param: "address-postalcode", values: [form], match: "prefix" }]);
  return rules;
}

/** The blocking searches between a Patient and a RelatedPerson (either way): NHS number and birth date only. */
export function relatedPersonRules(f: Features): SearchCriterion[][] {
  const rules: SearchCriterion[][] = [];
  for (const value of f.nhs)
    rules.push([{ kind: "token", param: "identifier", values: [{ system: NHS_NUMBER_SYSTEM, value }] }]);
  for (const date of f.birthDate ? birthDateVariants(f.birthDate) : [])
    rules.push([{ kind: "date", param: "birthdate", values: dateValues([date]) }]);
  return rules;
}

/**
 * The most records one blocking rule may bring: a block bigger than this (a thousand clients sent with one birth
 * date and nothing else, a placeholder postcode) is not selective, and comparing every pair in it would make each
 * record's cost grow with the population. Such a block is left out (its members can still meet through another
 * rule), as record-linkage practice drops blocking keys whose blocks are too large; its size is counted from the
 * index, never read. In a real population one birth date or postcode holds a few dozen people at most.
 */
export const MAX_BLOCK = 200;

/**
 * The candidate records for `f`, `f` itself left out. For a Patient: every Patient some blocking rule finds, and
 * every linkable RelatedPerson ({@link isLinkableRelatedPerson}) the related-person rules find that is not related
 * to `f` itself. For a RelatedPerson: the Patients the related-person rules find, but the one it is related to.
 */
export async function candidatesOf(view: DeriveView, f: Features): Promise<DerivedResource[]> {
  const found = new Map<string, DerivedResource>();
  const add = (type: string, r: DerivedResource) => {
    const key = `${type}/${r.id}`;
    if (key !== f.key && key !== f.relatedTo) found.set(key, r);
  };
  const isPatient = f.key.startsWith("Patient/");
  for (const rule of isPatient ? blockingRules(f) : relatedPersonRules(f))
    for (const r of (await view.findWithin("Patient", rule, MAX_BLOCK)) ?? []) add("Patient", r);
  if (isPatient)
    for (const rule of relatedPersonRules(f))
      for (const r of (await view.findWithin("RelatedPerson", rule, MAX_BLOCK)) ?? [])
        if (isLinkableRelatedPerson(r) && refOf(r.patient) !== f.key) add("RelatedPerson", r);
  return [...found.values()];
}

const refOf = (v: unknown) => (v as { reference?: unknown } | undefined)?.reference;
