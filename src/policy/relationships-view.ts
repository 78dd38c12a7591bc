/**
 * A {@link RelationshipResolver} over a read-only resource view (the derivation port's `DeriveView`:
 * indexed reads and finds only). Caseload: an EpisodeOfCare (not finished, cancelled or in error) or an
 * active CarePlan owned by the caller's organisation, not ended at the instant. Household: the
 * TFG-Household Groups the person is a current member of (linkage, issue 9). The person is every
 * Patient record the person index links with the one asked about.
 */
import { ownersOf } from "../auth/ownership.js";
import type { DerivedResource, DeriveView } from "../derive/port.js";
import { Lookup } from "../households/lookup.js";
import type { PolicyActor } from "./facts.js";
import type { RelationshipResolver, ResolvedRelationships } from "./relationships.js";
import { subjectKindOf } from "./subject-age.js";

const CLOSED_EPISODE = new Set(["finished", "cancelled", "entered-in-error"]);

type Json = Record<string, unknown>;
const refOf = (v: unknown): string | undefined => {
  const r = (v as { reference?: unknown } | null)?.reference;
  return typeof r === "string" ? r : undefined;
};

/** True when a period (if any) has not ended before `at` (a date-only end covers its whole day) and has begun. */
function current(period: unknown, at: string): boolean {
  const p = (period ?? {}) as { start?: unknown; end?: unknown };
  const day = at.slice(0, 10);
  if (typeof p.end === "string" && (p.end.length <= 10 ? p.end < day.slice(0, p.end.length) : p.end < at)) return false;
  if (typeof p.start === "string" && (p.start.length <= 10 ? p.start.slice(0, 10) > day : p.start > at)) return false;
  return true;
}

const ownedBy = (r: Json, org: string) => ownersOf(r).some((o) => o.trim().toUpperCase() === org.trim().toUpperCase());

/**
 * Resolves relationships by reading through `view`. With `shared`, a request's {@link Lookup} (a lookup operation's),
 * every resolve of that request reads through its memo; without, each resolve has its own.
 */
export class ViewRelationshipResolver implements RelationshipResolver {
  constructor(
    private readonly view: DeriveView,
    private readonly shared?: Lookup,
  ) {}

  async resolve(actor: PolicyActor, subject: string, at: string): Promise<ResolvedRelationships> {
    const lookup = this.shared ?? new Lookup(this.view);
    const self = await this.person(lookup, subject);
    const evidence = new Set<string>();
    const patient = await lookup.read(subject);
    const kind = subjectKindOf(patient, at);
    await this.prefetchCaseloads(lookup, self);
    await lookup.prefetchReferencing("Group", "member", self);

    const caseload = await this.onCaseload(lookup, self, actor.org, at, evidence);
    let householdOfOpenChild = false;
    let childOfCaseloadPatient = false;
    const groups = await this.households(lookup, self, at);
    await this.prefetchHousemates(lookup, groups, self, at);
    for (const group of groups) {
      for (const mate of this.members(group, at)) {
        if (self.includes(mate)) continue;
        const mates = await this.person(lookup, mate);
        const mateKind = subjectKindOf(await lookup.read(mate), at);
        const mateEvidence = new Set<string>();
        if (!(await this.onCaseload(lookup, mates, actor.org, at, mateEvidence))) continue;
        const counts = mateKind === "child" || kind === "child";
        if (mateKind === "child") householdOfOpenChild = true;
        if (kind === "child") childOfCaseloadPatient = true;
        if (counts) for (const e of [`Group/${group.id}`, ...mateEvidence]) evidence.add(e);
      }
    }
    return { kind, facts: { caseload, householdOfOpenChild, childOfCaseloadPatient, evidence: [...evidence].sort() } };
  }

  /**
   * What the loop over `groups`' members then asks of each, asked for them all at once: their person-index links and
   * Patient records, then the episodes and care plans of every record of every member.
   */
  private async prefetchHousemates(
    lookup: Lookup,
    groups: readonly DerivedResource[],
    self: readonly string[],
    at: string,
  ): Promise<void> {
    const mates = [...new Set(groups.flatMap((g) => this.members(g, at)))].filter((m) => !self.includes(m));
    if (mates.length === 0) return;
    await lookup.prefetchReferencing("Person", "link", mates);
    await lookup.prefetchReads(mates);
    const keys = new Set<string>();
    for (const m of mates) for (const k of await this.person(lookup, m)) keys.add(k);
    await this.prefetchCaseloads(lookup, [...keys]);
  }

  /** The episodes and care plans of every one of `keys`, asked once for them all. */
  private async prefetchCaseloads(lookup: Lookup, keys: readonly string[]): Promise<void> {
    await lookup.prefetchReferencing("EpisodeOfCare", "patient", keys);
    await lookup.prefetchReferencing("CarePlan", "subject", keys);
  }

  /** `key` and the Patient records the person index links with it. */
  private async person(lookup: Lookup, key: string): Promise<string[]> {
    const mates = await lookup.personMates(key);
    return [...new Set([key, ...mates.map((m) => m.patient)])].sort();
  }

  private async onCaseload(
    lookup: Lookup,
    keys: readonly string[],
    org: string,
    at: string,
    evidence: Set<string> | undefined,
  ): Promise<boolean> {
    let found = false;
    for (const key of keys) {
      for (const ep of await lookup.byReference("EpisodeOfCare", "patient", key)) {
        if (typeof ep.status === "string" && CLOSED_EPISODE.has(ep.status)) continue;
        if (!ownedBy(ep, org) || !current(ep.period, at)) continue;
        found = true;
        evidence?.add(`EpisodeOfCare/${ep.id}`);
      }
      for (const plan of await lookup.byReference("CarePlan", "subject", key)) {
        if (plan.status !== "active" || !ownedBy(plan, org) || !current(plan.period, at)) continue;
        found = true;
        evidence?.add(`CarePlan/${plan.id}`);
      }
    }
    return found;
  }

  private async households(lookup: Lookup, keys: readonly string[], at: string): Promise<DerivedResource[]> {
    const out = new Map<string, DerivedResource>();
    for (const key of keys) {
      for (const g of await lookup.byReference("Group", "member", key)) {
        const mine = (Array.isArray(g.member) ? (g.member as Json[]) : []).some(
          (m) => refOf(m.entity) === key && m.inactive !== true && current(m.period, at),
        );
        if (mine) out.set(g.id, g);
      }
    }
    return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  private members(group: DerivedResource, at: string): string[] {
    return (Array.isArray(group.member) ? (group.member as Json[]) : [])
      .filter((m) => m.inactive !== true && current(m.period, at))
      .map((m) => refOf(m.entity))
      .filter((r): r is string => r?.startsWith("Patient/") === true);
  }
}
