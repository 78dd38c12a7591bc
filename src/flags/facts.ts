/**
 * What the flags rules read about a Patient record, gathered through indexed finds only: the person it
 * belongs to (every Patient record a `Person` links), that person's episodes, plans and observations,
 * the households (`Group`) any of those records is a member of, and the persons of the other members.
 */

import type { CachedView } from "../derive/cached-view.js";
import type { DerivedResource } from "../derive/port.js";
import { SYSTEMS, URLS } from "./codes.js";
import { day, earliest, eighteenthBirthday } from "./dates.js";
import { ALWAYS, type Span } from "./span.js";

type Json = Record<string, unknown>;
type Coding = { system?: unknown; code?: unknown };

/** A Reference's `reference` when it is `Type/id` of `type`. */
export function refId(ref: unknown, type: string): string | undefined {
  const r = (ref as { reference?: unknown } | undefined)?.reference;
  return typeof r === "string" && r.startsWith(`${type}/`) && !r.includes("/", type.length + 1)
    ? r.slice(type.length + 1)
    : undefined;
}

const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const codings = (cc: unknown): Coding[] => list((cc as { coding?: unknown } | undefined)?.coding) as Coding[];

/** True when the CodeableConcept (or any of a list of them) has `system#code`. */
export function hasCode(cc: unknown, system: string, code: string): boolean {
  const all = Array.isArray(cc) ? cc : [cc];
  return all.some((c) => codings(c).some((x) => x.system === system && x.code === code));
}

/** The code of the first coding from `system`, if any. */
export function codeIn(cc: unknown, system: string): string | undefined {
  const hit = codings(cc).find((x) => x.system === system && typeof x.code === "string");
  return hit?.code as string | undefined;
}

/** The `Type/id` key of a resource. */
export const keyOf = (r: { resourceType: string; id: string }) => `${r.resourceType}/${r.id}`;

/** One person as the data knows them: every Patient record the person index links, and what they hold. */
export interface PersonFacts {
  /** Patient ids, sorted (one, when no Person links the record). */
  records: string[];
  /** `Person/id` keys linking them. */
  personKeys: string[];
  /** Earliest recorded birth date across the records (`YYYY-MM-DD`), and the record it came from. */
  birth?: { date: string; key: string };
  /** An unborn child: expected birth date and no birth date on any record. */
  unborn?: { expected: string; key: string };
  /** Administrative gender when every record that gives one agrees. */
  gender?: string;
  /** EpisodeOfCare, CarePlan and the Observations the rules use (parental status, young carer, CIN factors). */
  episodes: DerivedResource[];
  plans: DerivedResource[];
  observations: DerivedResource[];
}

/** One member entry of a household Group. */
export interface Membership {
  group: string;
  record: string;
  span: Span;
}

/** A subject's households: for each membership of the subject's person, the other members' entries and persons. */
export interface HouseholdFacts {
  own: Membership;
  others: { entry: Membership; person: PersonFacts }[];
}

/** Everything the rules read for one Patient record. */
export interface SubjectFacts {
  subject: string;
  person: PersonFacts;
  households: HouseholdFacts[];
  /** RelatedPerson resources naming one of the person's records (`related-patient`) about an unborn child, with that child. */
  unbornChildren: { relation: DerivedResource; child: PersonFacts }[];
}

/** The child span of a person: birth to the 18th birthday (computed end), or an unborn child until 18 years after the expected date. */
export function childSpan(p: PersonFacts): Span | undefined {
  if (p.birth) return { start: p.birth.date, end: eighteenthBirthday(p.birth.date), computedEnd: true, closed: false };
  if (p.unborn) return { end: eighteenthBirthday(p.unborn.expected), computedEnd: true, closed: false };
  return undefined;
}

/** The adult span of a person: from the 18th birthday; always when the data gives no birth date; never for the unborn. */
export function adultSpan(p: PersonFacts): Span | undefined {
  if (p.birth) return { start: eighteenthBirthday(p.birth.date), closed: false };
  if (p.unborn) return undefined;
  return ALWAYS;
}

/** The span of a Group member entry: its period; closed when it has an end or the member is `inactive`. */
export function membershipSpan(member: Json): Span {
  const period = (member.period ?? {}) as Json;
  const span: Span = { closed: period.end !== undefined || member.inactive === true };
  const start = day(period.start);
  const end = day(period.end);
  if (start) span.start = start;
  if (end) span.end = end;
  return span;
}

const OBSERVATION_CODES = ["parental-status", "young-carer", "cin-assessment-factor"];

/** Gathers facts through a memoising view; one instance per derive call. */
export class FactReader {
  private readonly persons = new Map<string, Promise<PersonFacts>>();

  constructor(private readonly view: CachedView) {}

  /**
   * Fetches ahead, a few queries in all, what {@link subject} reads by reference for these Patient records:
   * their Persons, households, episodes, plans, observations, Flags and ingest Provenance.
   */
  async prefetch(records: readonly string[]): Promise<void> {
    const refs = records.map((r) => `Patient/${r}`);
    await Promise.all([
      this.view.prefetch("Person", "link", refs),
      this.view.prefetch("Group", "member", refs),
      this.view.prefetch("EpisodeOfCare", "patient", refs),
      this.view.prefetch("CarePlan", "subject", refs),
      this.view.prefetch("Observation", "subject", refs),
      this.view.prefetch("Flag", "subject", refs),
      this.view.prefetch("Provenance", "target", refs),
    ]);
  }

  /** The Patient records of the person `record` belongs to (itself when no Person links it), and the Persons. */
  async personRecords(record: string): Promise<{ records: string[]; personKeys: string[] }> {
    const persons = await this.view.byReference("Person", "link", [`Patient/${record}`]);
    const records = new Set([record]);
    for (const p of persons)
      for (const l of list(p.link)) {
        const id = refId(l.target, "Patient");
        if (id) records.add(id);
      }
    return { records: [...records].sort(), personKeys: persons.map(keyOf).sort() };
  }

  /** The person facts of the person `record` belongs to (memoised per record). */
  person(record: string): Promise<PersonFacts> {
    let hit = this.persons.get(record);
    if (!hit) {
      hit = this.loadPerson(record);
      this.persons.set(record, hit);
    }
    return hit;
  }

  private async loadPerson(record: string): Promise<PersonFacts> {
    const { records, personKeys } = await this.personRecords(record);
    const refs = records.map((r) => `Patient/${r}`);
    const [patients, episodes, plans, observed] = await Promise.all([
      Promise.all(records.map((r) => this.view.read("Patient", r))),
      this.view.byReference("EpisodeOfCare", "patient", refs),
      this.view.byReference("CarePlan", "subject", refs),
      this.view.byReference("Observation", "subject", refs),
    ]);
    const observations = observed.filter((o) =>
      OBSERVATION_CODES.some((code) => hasCode(o.code, SYSTEMS.observationCode, code)),
    );
    const facts: PersonFacts = { records, personKeys, episodes, plans, observations };
    const present = patients.filter((p): p is DerivedResource => p !== undefined);
    const births = present
      .map((p) => ({ date: day(p.birthDate), key: keyOf(p) }))
      .filter((b): b is { date: string; key: string } => b.date !== undefined);
    const birth = earliest(births.map((b) => b.date));
    if (birth) facts.birth = births.filter((b) => b.date === birth).sort((a, b) => (a.key < b.key ? -1 : 1))[0];
    if (!birth) {
      const expected = present
        .map((p) => ({ date: day(expectedBirthDate(p)), key: keyOf(p) }))
        .filter((b): b is { date: string; key: string } => b.date !== undefined)
        .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.key < b.key ? -1 : 1))[0];
      if (expected) facts.unborn = { expected: expected.date, key: expected.key };
    }
    const genders = new Set(present.map((p) => p.gender).filter((g): g is string => typeof g === "string"));
    if (genders.size === 1) facts.gender = [...genders][0] as string;
    return facts;
  }

  /** Everything the rules read for Patient record `subject`. */
  async subject(subject: string): Promise<SubjectFacts> {
    const person = await this.person(subject);
    const refs = person.records.map((r) => `Patient/${r}`);
    const own = new Set(person.records);
    const groups = await this.view.byReference("Group", "member", refs);
    const households: HouseholdFacts[] = [];
    for (const g of [...groups].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const entries = list(g.member)
        .map((m) => ({ record: refId(m.entity, "Patient"), span: membershipSpan(m) }))
        .filter((e): e is { record: string; span: Span } => e.record !== undefined)
        .map((e) => ({ group: keyOf(g), ...e }));
      const others = await Promise.all(
        entries
          .filter((e) => !own.has(e.record))
          .map(async (entry) => ({ entry, person: await this.person(entry.record) })),
      );
      for (const mine of entries.filter((e) => own.has(e.record))) households.push({ own: mine, others });
    }
    return { subject, person, households, unbornChildren: await this.unbornChildren(person) };
  }

  /**
   * RelatedPersons that name one of the person's records as the related patient of an unborn child. The
   * `related-patient` extension is not indexed; the relationship is written in the same source record as the
   * person (CPA household section, SSD `ssd_mother`), so the ingest Provenance naming the person's record as a
   * target names the RelatedPerson too: an indexed find by reference.
   */
  private async unbornChildren(person: PersonFacts): Promise<SubjectFacts["unbornChildren"]> {
    const refs = person.records.map((r) => `Patient/${r}`);
    const provenances = await this.view.byReference("Provenance", "target", refs);
    const relationIds = new Set<string>();
    for (const p of provenances)
      for (const t of list(p.target)) {
        const id = refId(t, "RelatedPerson");
        if (id) relationIds.add(id);
      }
    const own = new Set(person.records);
    const out: SubjectFacts["unbornChildren"] = [];
    for (const id of [...relationIds].sort()) {
      const relation = await this.view.read("RelatedPerson", id);
      if (!relation) continue;
      const named = list(relation.extension).find((e) => e.url === URLS.relatedPatient);
      const adult = refId(named?.valueReference, "Patient");
      const childId = refId(relation.patient, "Patient");
      if (!adult || !own.has(adult) || !childId || own.has(childId)) continue;
      if (!hasCode(relation.relationship, SYSTEMS.relationship, "parent")) continue;
      const child = await this.person(childId);
      if (child.unborn) out.push({ relation, child });
    }
    return out;
  }
}

function expectedBirthDate(p: DerivedResource): unknown {
  return list(p.extension).find((e) => e.url === URLS.expectedBirthDate)?.valueDate;
}
