/**
 * Which households one Patient record belongs to, and why: its own addresses (UPRN, or postcode and
 * premise lines resolved to a UPRN another record gives for the same address), else those of the records
 * the person index links it with; and the households of the people a RelatedPerson says it lives with
 * (a CPA household section's child with the patient, an SSD related person or `ssd_mother` with the
 * child), at that person's Patient records' addresses or, for one known only as a RelatedPerson, at the related
 * person's own address. A pure function of the records it reads.
 */
import { deterministicId } from "../mapping/ids.js";
import {
  type AddressLineKey,
  addressLineKey,
  type HouseholdKey,
  householdKeyOf,
  keyText,
  uprnOf,
} from "./address-key.js";
import type { Lookup } from "./lookup.js";
import {
  coResidence,
  dayOf,
  intersect,
  nhsNumbersOf,
  type Period,
  periodOf,
  refOf,
  relatedPatientOf,
} from "./records.js";

/** The `meta.source` and id namespace of what this deriver writes. */
export const HOUSEHOLDS_SOURCE = "urn:tfg:derived:households";

/** Why a record is in a household. */
export type Route = "uprn" | "address" | "person-link" | "lives-with" | "mother" | "related-person";

/** One record's membership of one household. */
export interface Membership {
  /** The Group id. */
  group: string;
  key: HouseholdKey;
  period: Period;
  /** True once the record left (an end date, or an address marked old). */
  left: boolean;
  routes: Route[];
  /** `Type/id` of every record the membership was derived from. */
  evidence: string[];
}

/** The Group id of a household key. */
export const groupIdOf = (key: HouseholdKey): string => deterministicId(HOUSEHOLDS_SOURCE, "Group", [keyText(key)]);

const RESIDENTIAL = (a: Record<string, unknown>) => a.use !== "billing" && a.use !== "work";

/**
 * The lowest UPRN a Patient or RelatedPerson at the same postcode gives for the same premise lines, with
 * the record that gives it: an address written without its UPRN joins the household of the one written with it.
 */
async function resolveUprn(lookup: Lookup, key: AddressLineKey): Promise<{ uprn: string; by: string } | undefined> {
  let best: { uprn: string; by: string } | undefined;
  for (const type of ["Patient", "RelatedPerson"]) {
    for (const r of await lookup.byPostcode(type, key.postcode)) {
      for (const a of Array.isArray(r.address) ? (r.address as Record<string, unknown>[]) : []) {
        const uprn = uprnOf(a);
        const k = uprn ? addressLineKey(a) : undefined;
        if (!uprn || !k || k.premise !== key.premise || k.postcode !== key.postcode) continue;
        const by = `${type}/${r.id}`;
        if (!best || uprn.padStart(12, "0") < best.uprn.padStart(12, "0") || (uprn === best.uprn && by < best.by))
          best = { uprn, by };
      }
    }
  }
  return best;
}

/**
 * Memberships from a record's own addresses. An address without an end date ends where a newer one
 * (a later start) begins: a person who moves leaves the old household on the date known.
 */
export async function ownMemberships(lookup: Lookup, key: string): Promise<Membership[]> {
  const r = await lookup.read(key);
  if (!r) return [];
  const addresses = (Array.isArray(r.address) ? (r.address as Record<string, unknown>[]) : []).filter(
    (a) => a && typeof a === "object" && RESIDENTIAL(a),
  );
  const keyed: { key: HouseholdKey; period: Period; old: boolean; evidence: string[]; route: Route }[] = [];
  for (const a of addresses) {
    let k = householdKeyOf(a);
    if (!k) continue;
    const evidence = [key];
    let route: Route = k.kind === "uprn" ? "uprn" : "address";
    if (k.kind === "address") {
      const found = await resolveUprn(lookup, k);
      if (found) {
        k = { kind: "uprn", uprn: found.uprn };
        if (found.by !== key) evidence.push(found.by);
      }
      route = "address";
    }
    keyed.push({ key: k, period: periodOf(a), old: a.use === "old", evidence, route });
  }
  return keyed.map((m) => {
    let end = m.period.end;
    if (!end && m.period.start) {
      const start = dayOf(m.period.start);
      const later = keyed
        .filter((o) => keyText(o.key) !== keyText(m.key) && o.period.start && dayOf(o.period.start) > start)
        .map((o) => o.period.start as string)
        .sort((x, y) => (dayOf(x) < dayOf(y) ? -1 : 1))[0];
      end = later;
    }
    const period = { ...(m.period.start ? { start: m.period.start } : {}), ...(end ? { end } : {}) };
    return {
      group: groupIdOf(m.key),
      key: m.key,
      period,
      left: end !== undefined || m.old,
      routes: [m.route],
      evidence: m.evidence,
    };
  });
}

/**
 * Own memberships, or where the record has no address of its own, those of the records linked with it in one
 * Person: its other Patient records, else the RelatedPersons the person index links with it (a relative's record
 * giving this person's address, e.g. an SSD related-people row for an adult whose own record has only a postcode).
 */
export async function placedMemberships(lookup: Lookup, key: string): Promise<Membership[]> {
  const own = await ownMemberships(lookup, key);
  if (own.length > 0) return own;
  const out: Membership[] = [];
  for (const mate of await lookup.personMates(key)) {
    for (const m of await ownMemberships(lookup, mate.patient)) {
      out.push({ ...m, routes: ["person-link"], evidence: [key, mate.person, ...m.evidence] });
    }
  }
  if (out.length > 0 || !key.startsWith("Patient/")) return out;
  for (const mention of await lookup.personMentions(key)) {
    const rp = await lookup.read(mention.relatedPerson);
    if (!rp || rp.active === false) continue;
    for (const m of await ownMemberships(lookup, mention.relatedPerson)) {
      out.push({ ...m, routes: ["person-link"], evidence: [key, mention.person, ...m.evidence] });
    }
  }
  return out;
}

/** Patient records a co-residence RelatedPerson names: its related-patient, records with its NHS number, records the person index links it with. */
export async function namedPatients(lookup: Lookup, rp: Record<string, unknown> & { id: string }): Promise<string[]> {
  const out = new Set<string>();
  const related = relatedPatientOf(rp);
  if (related?.startsWith("Patient/")) out.add(related);
  for (const nhs of nhsNumbersOf(rp))
    for (const p of await lookup.byNhsNumber("Patient", nhs)) out.add(`Patient/${p.id}`);
  for (const mate of await lookup.personMates(`RelatedPerson/${rp.id}`)) out.add(mate.patient);
  return [...out].sort();
}

/** A co-residence: the record lives with `partner` (a Patient record) as RelatedPerson `via` says. */
export interface CoResidence {
  partner: string;
  via: string;
  route: Route;
  period: Period;
}

/**
 * Everyone a Patient record lives with by a RelatedPerson: (1) its own RelatedPersons (it is their `patient`)
 * naming a Patient record; (2) RelatedPersons of others carrying its NHS number, or (4) that the person index
 * links with it (the same person as a relative's record names them: initials, birth date and postcode on an
 * NDTMS row against the name, birth date and address of an SSD related-people row); (3) RelatedPersons its own
 * source records wrote that name it as the related patient (a CPA household section's children).
 */
export async function coResidences(lookup: Lookup, key: string): Promise<CoResidence[]> {
  const r = await lookup.read(key);
  if (!r) return [];
  const out: CoResidence[] = [];
  const add = (partner: string | undefined, rp: Record<string, unknown> & { id: string }, route: Route) => {
    if (partner && partner !== key && partner.startsWith("Patient/"))
      out.push({ partner, via: `RelatedPerson/${rp.id}`, route, period: periodOf(rp) });
  };
  for (const rp of await lookup.byReference("RelatedPerson", "patient", key)) {
    const mode = coResidence(rp);
    if (mode) for (const p of await namedPatients(lookup, rp)) add(p, rp, mode);
  }
  for (const nhs of nhsNumbersOf(r)) {
    for (const rp of await lookup.byNhsNumber("RelatedPerson", nhs)) {
      if (coResidence(rp)) add(refOf(rp.patient), rp, "related-person");
    }
  }
  for (const mention of await lookup.personMentions(key)) {
    const rp = await lookup.read(mention.relatedPerson);
    if (rp && coResidence(rp)) add(refOf(rp.patient), rp, "related-person");
  }
  for (const prov of await lookup.byReference("Provenance", "target", key)) {
    const source = (prov.meta as { source?: unknown } | undefined)?.source;
    if (typeof source !== "string" || !source.startsWith("urn:tfg:source:")) continue;
    const targets = Array.isArray(prov.target) ? (prov.target as unknown[]).map(refOf) : [];
    for (const t of targets) {
      if (!t?.startsWith("RelatedPerson/")) continue;
      const rp = await lookup.read(t);
      if (rp && relatedPatientOf(rp) === key) {
        const mode = coResidence(rp);
        if (mode) add(refOf(rp.patient), rp, mode);
      }
    }
  }
  return out;
}

/**
 * Households a record lives in by the address of a RelatedPerson it lives with that names no Patient record (an
 * SSD related person known only there, say a child's mother): the child is at the related person's address. Only
 * RelatedPersons whose `patient` is the record and that say it lives with them (coResidence); the related
 * person's own address, resolved to a UPRN as any address is. A related person the gateway knows as a Patient is
 * placed by that Patient's own records instead (coResidences). Used only for a record with no address of its own.
 */
export async function relatedAddressMemberships(lookup: Lookup, key: string): Promise<Membership[]> {
  const out: Membership[] = [];
  for (const rp of await lookup.byReference("RelatedPerson", "patient", key)) {
    const mode = coResidence(rp);
    if (!mode || (await namedPatients(lookup, rp)).length > 0) continue;
    const via = `RelatedPerson/${rp.id}`;
    const lived = periodOf(rp);
    for (const m of await ownMemberships(lookup, via)) {
      out.push({
        ...m,
        period: intersect(m.period, lived),
        left: m.left || lived.end !== undefined,
        routes: [mode],
        evidence: [key, ...m.evidence],
      });
    }
  }
  return out;
}

/**
 * Merges memberships of one record in one household: the earliest start (none when one has none: a membership known
 * from no date starts no later than any other), open if any is open, every route and record.
 */
function merge(ms: Membership[]): Membership {
  const first = ms[0] as Membership;
  const starts = ms.some((m) => !m.period.start) ? [] : ms.map((m) => m.period.start as string);
  const open = ms.some((m) => !m.left);
  const ends = ms.map((m) => m.period.end).filter((e): e is string => !!e);
  const start = starts.sort((a, b) => (dayOf(a) < dayOf(b) ? -1 : 1))[0];
  const end = open ? undefined : ends.sort((a, b) => (dayOf(a) < dayOf(b) ? 1 : -1))[0];
  return {
    group: first.group,
    key: first.key,
    period: { ...(start ? { start } : {}), ...(end ? { end } : {}) },
    left: !open,
    routes: [...new Set(ms.flatMap((m) => m.routes))].sort(),
    evidence: [...new Set(ms.flatMap((m) => m.evidence))].sort(),
  };
}

/** Every household a Patient record belongs to, one membership per household, in Group id order. */
export async function membershipsOf(lookup: Lookup, key: string): Promise<Membership[]> {
  // Where the record has no address of its own (nor a linked record's), the address of a related person it lives with.
  const placed = await placedMemberships(lookup, key);
  const all = placed.length > 0 ? [...placed] : await relatedAddressMemberships(lookup, key);
  for (const c of await coResidences(lookup, key)) {
    for (const m of await placedMemberships(lookup, c.partner)) {
      const period = intersect(m.period, c.period);
      all.push({
        ...m,
        period,
        left: m.left || c.period.end !== undefined,
        routes: [c.route],
        evidence: [key, c.via, ...m.evidence],
      });
    }
  }
  const byGroup = new Map<string, Membership[]>();
  for (const m of all) byGroup.set(m.group, [...(byGroup.get(m.group) ?? []), m]);
  return [...byGroup.keys()].sort().map((g) => merge(byGroup.get(g) as Membership[]));
}
