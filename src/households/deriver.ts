/**
 * The households deriver: for the Patients, RelatedPersons and Persons a commit touches, recomputes
 * the memberships of every record whose households can change and rewrites those households' Groups
 * (TFG-Household) with their Provenance; a household left with no member is deleted. Only indexed
 * look-ups, so the cost per touched record does not grow with the population.
 */
import { CachedView } from "../derive/cached-view.js";
import type { DerivedResource, DeriveOutput, Deriver } from "../derive/port.js";
import { addressLineKey, uprnOf } from "./address-key.js";
import { buildHousehold, provenanceIdOf } from "./group.js";
import { Lookup } from "./lookup.js";
import { coResidences, HOUSEHOLDS_SOURCE, type Membership, membershipsOf, namedPatients } from "./memberships.js";
import { patientIdOf, refOf } from "./records.js";

const typeOf = (key: string) => key.slice(0, key.indexOf("/"));

const addressesOf = (r: DerivedResource | undefined) =>
  Array.isArray(r?.address) ? (r.address as Record<string, unknown>[]) : [];

/** Records written without a UPRN at an address another record (`r`) gives with one: their household follows `r`'s. */
async function sameAddressWithoutUprn(lookup: Lookup, r: DerivedResource | undefined): Promise<string[]> {
  const out: string[] = [];
  for (const a of addressesOf(r)) {
    const k = uprnOf(a) ? addressLineKey(a) : undefined;
    if (!k) continue;
    for (const p of await lookup.byPostcode("Patient", k.postcode)) {
      if (addressesOf(p).some((b) => !uprnOf(b) && addressLineKey(b)?.premise === k.premise))
        out.push(`Patient/${p.id}`);
    }
  }
  return out;
}

/** Patient records whose memberships the touched keys can change. */
async function affectedRecords(lookup: Lookup, touched: readonly string[]): Promise<Set<string>> {
  const seeds = new Set<string>();
  for (const key of touched) {
    const type = typeOf(key);
    if (type !== "Patient" && type !== "RelatedPerson" && type !== "Person") continue;
    const r = await lookup.read(key);
    if (type === "Patient") seeds.add(key);
    if (type === "RelatedPerson" && r) {
      const p = refOf(r.patient);
      if (p) seeds.add(p);
      for (const n of await namedPatients(lookup, r)) seeds.add(n);
      for (const n of await sameAddressWithoutUprn(lookup, r)) seeds.add(n);
    }
    if (type === "Person" && r) {
      for (const l of Array.isArray(r.link) ? (r.link as { target?: unknown }[]) : []) {
        const t = refOf(l.target);
        if (patientIdOf(t)) seeds.add(t as string);
        // A RelatedPerson linked with the person's records: the record it relates to lives with them (coResidences).
        const rp = t?.startsWith("RelatedPerson/") ? await lookup.read(t) : undefined;
        const related = rp ? refOf(rp.patient) : undefined;
        if (patientIdOf(related)) seeds.add(related as string);
      }
    }
    // Households this record contributed to before (found even when it is now deleted or unlinked).
    for (const prov of await lookup.byReference("Provenance", "entity", key)) {
      if ((prov.meta as { source?: unknown } | undefined)?.source !== HOUSEHOLDS_SOURCE) continue;
      for (const t of Array.isArray(prov.target) ? (prov.target as unknown[]) : []) {
        const g = refOf(t);
        const group = g?.startsWith("Group/") ? await lookup.read(g) : undefined;
        for (const m of Array.isArray(group?.member) ? (group.member as { entity?: unknown }[]) : []) {
          const e = refOf(m.entity);
          if (e) seeds.add(e);
        }
      }
    }
  }
  // Two rounds out: who lives with them, their other records, records following their UPRN; then the same for those.
  const all = new Set(seeds);
  let frontier = [...seeds];
  for (let round = 0; round < 2; round++) {
    const next: string[] = [];
    const add = (k: string) => {
      if (!all.has(k)) {
        all.add(k);
        next.push(k);
      }
    };
    for (const key of frontier) {
      for (const c of await coResidences(lookup, key)) add(c.partner);
      for (const m of await lookup.personMates(key)) add(m.patient);
      for (const k of await sameAddressWithoutUprn(lookup, await lookup.read(key))) add(k);
    }
    frontier = next;
  }
  return all;
}

/** Reference look-ups made for each touched record (src/households/memberships.ts and above). */
const RECORD_LOOKUPS = [
  ["Provenance", "entity"],
  ["Provenance", "target"],
  ["Group", "member"],
  ["RelatedPerson", "patient"],
  ["Person", "link"],
] as const;

/** Derives TFG-Household Groups (see the file header). */
export const householdsDeriver: Deriver = {
  name: "households",
  async derive({ view, touched }): Promise<DeriveOutput> {
    // The look-ups every touched record makes, fetched for all of them in a few queries rather than one each.
    const cached = new CachedView(view);
    const records = touched.filter((k) => /^(Patient|RelatedPerson|Person)\//.test(k));
    for (const [type, param] of RECORD_LOOKUPS) await cached.prefetch(type, param, records);
    const lookup = new Lookup(cached);
    const memo = new Map<string, Promise<Membership[]>>();
    const membershipsFor = (key: string) => {
      let m = memo.get(key);
      if (!m) {
        m = membershipsOf(lookup, key);
        memo.set(key, m);
      }
      return m;
    };
    const affected = await affectedRecords(lookup, touched);
    // Each household's members among the affected records; then the rest of its current members, recomputed.
    const joining = new Map<string, Map<string, Membership>>();
    for (const key of [...affected].sort()) {
      for (const m of await membershipsFor(key)) {
        const members = joining.get(m.group) ?? new Map<string, Membership>();
        members.set(key, m);
        joining.set(m.group, members);
      }
      for (const g of await lookup.byReference("Group", "member", key))
        if (!joining.has(g.id)) joining.set(g.id, new Map());
    }
    const resources: DerivedResource[] = [];
    const deletes: string[] = [];
    for (const id of [...joining.keys()].sort()) {
      const current = await lookup.read(`Group/${id}`);
      const members = joining.get(id) as Map<string, Membership>;
      for (const m of Array.isArray(current?.member) ? (current.member as { entity?: unknown }[]) : []) {
        const e = refOf(m.entity);
        if (!e || affected.has(e)) continue;
        const mine = (await membershipsFor(e)).find((x) => x.group === id);
        if (mine) members.set(e, mine);
      }
      if (members.size > 0) resources.push(...buildHousehold(id, members));
      else if (current) {
        deletes.push(`Group/${id}`);
        if (await lookup.read(`Provenance/${provenanceIdOf(id)}`)) deletes.push(`Provenance/${provenanceIdOf(id)}`);
      }
    }
    return { resources, deletes };
  },
};
