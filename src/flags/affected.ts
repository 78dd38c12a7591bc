/**
 * Which Patient records a commit's touched keys affect: the subjects and patients of touched clinical
 * records, members of touched households, links of touched Persons, touched Patients, and the subjects of
 * Flags whose Provenance names a touched Person, Group or deleted record (what a removal took away); then
 * widened to their persons and households, and the persons of those households' members.
 */

import type { CachedView } from "../derive/cached-view.js";
import { DERIVED_SOURCE, URLS } from "./codes.js";
import { type FactReader, refId } from "./facts.js";

type Json = Record<string, unknown>;
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** Types whose `subject` names the Patient the record is about. */
const BY_SUBJECT = new Set(["Observation", "CarePlan", "Encounter", "ServiceRequest"]);

/** Patient ids a touched key names directly (and, for removals, through the Flags that rested on it). */
async function seeds(view: CachedView, key: string): Promise<string[]> {
  const slash = key.indexOf("/");
  const type = key.slice(0, slash);
  const id = key.slice(slash + 1);
  if (type === "Patient") return [id];
  if (type === "Flag" || type === "Provenance") return [];
  const r = await view.read(type, id);
  const out: string[] = [];
  const push = (ref: unknown) => {
    const p = refId(ref, "Patient");
    if (p) out.push(p);
  };
  if (r) {
    if (type === "EpisodeOfCare") push(r.patient);
    else if (BY_SUBJECT.has(type)) push(r.subject);
    else if (type === "RelatedPerson") {
      push(r.patient);
      for (const e of list(r.extension)) if (e.url === URLS.relatedPatient) push(e.valueReference);
    } else if (type === "Group") for (const m of list(r.member)) push(m.entity);
    else if (type === "Person") for (const l of list(r.link)) push(l.target);
    else return [];
  }
  // What a changed Person or Group no longer holds, or a deleted record held, shows only in the Flags resting on it.
  if (!r || type === "Person" || type === "Group") {
    const provenances = await view.byReference("Provenance", "entity", [key]);
    for (const p of provenances) {
      if ((p.meta as Json | undefined)?.source !== DERIVED_SOURCE) continue;
      for (const t of list(p.target)) {
        const flag = refId(t, "Flag");
        const f = flag ? await view.read("Flag", flag) : undefined;
        if (f) push(f.subject);
      }
    }
  }
  return out;
}

/** The Patient ids whose flags the commit may change, sorted. */
export async function affectedSubjects(
  view: CachedView,
  facts: FactReader,
  touched: readonly string[],
): Promise<string[]> {
  const direct = new Set<string>();
  // Touched Persons and Groups are looked up by the Flag Provenance that names them: one query for all of them.
  await view.prefetch(
    "Provenance",
    "entity",
    touched.filter((k) => k.startsWith("Person/") || k.startsWith("Group/")),
  );
  for (const key of [...new Set(touched)].sort()) for (const p of await seeds(view, key)) direct.add(p);
  const out = new Set<string>();
  await view.prefetch(
    "Person",
    "link",
    [...direct].map((p) => `Patient/${p}`),
  );
  const personsOf = await Promise.all([...direct].sort().map((seed) => facts.personRecords(seed)));
  const records = personsOf.flatMap((p) => p.records);
  await view.prefetch(
    "Group",
    "member",
    records.map((r) => `Patient/${r}`),
  );
  const members = (
    await view.byReference(
      "Group",
      "member",
      records.map((r) => `Patient/${r}`),
    )
  ).flatMap((g) =>
    list(g.member)
      .map((m) => refId(m.entity, "Patient"))
      .filter((x): x is string => x !== undefined),
  );
  await view.prefetch(
    "Person",
    "link",
    members.map((m) => `Patient/${m}`),
  );
  for (const seed of [...direct].sort()) {
    const { records } = await facts.personRecords(seed);
    for (const r of records) out.add(r);
    const groups = await view.byReference(
      "Group",
      "member",
      records.map((r) => `Patient/${r}`),
    );
    for (const g of groups)
      for (const m of list(g.member)) {
        const member = refId(m.entity, "Patient");
        if (!member || out.has(member)) continue;
        for (const r of (await facts.personRecords(member)).records) out.add(r);
      }
  }
  return [...out].sort();
}
