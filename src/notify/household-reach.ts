/**
 * Which local authorities an adult's event concerns: the adult's records (person index), the households they
 * are a current member of, the children in them (each child's records too), and the child's open child
 * protection plans and child-in-need episodes, grouped by the LA that owns each (its record-owner tag).
 */
import { ownersOf } from "../auth/ownership.js";
import type { DerivedResource, DeriveView } from "../derive/port.js";
import { codeSystemUrl, profileUrl } from "../fhir/canonical.js";

type Member = { entity?: { reference?: unknown }; inactive?: unknown };
const EPISODE_TYPE = codeSystemUrl("episode-type");
const CLOSED = new Set(["finished", "cancelled", "completed", "revoked", "entered-in-error"]);

/** Every Patient record of the person `patient` belongs to (itself, plus the Person index's links). */
export async function recordsOf(view: DeriveView, patient: string): Promise<string[]> {
  const people = await view.find("Person", [{ kind: "reference", param: "link", targets: [patient] }]);
  const out = new Set([patient]);
  for (const p of people) {
    for (const l of (p.link as { target?: { reference?: unknown } }[] | undefined) ?? []) {
      const ref = l.target?.reference;
      if (typeof ref === "string" && ref.startsWith("Patient/")) out.add(ref);
    }
  }
  return [...out].sort();
}

const profiled = (r: DerivedResource, name: string) =>
  ((r.meta as { profile?: unknown[] } | undefined)?.profile ?? []).includes(profileUrl(name));

const hasType = (concepts: unknown, code: string) =>
  ((concepts as { coding?: { system?: string; code?: string }[] }[] | undefined) ?? []).some((c) =>
    (c.coding ?? []).some((x) => x.system === EPISODE_TYPE && x.code === code),
  );

/**
 * Open on the event's `date`: with an end date, not ended before that date (a plan ended since still counts for
 * an event while it was open); without one, not closed by status. Never compared with today.
 */
function openOn(r: DerivedResource, date: string | undefined): boolean {
  if (r.status === "entered-in-error") return false;
  const end = (r.period as { end?: string } | undefined)?.end;
  if (end === undefined) return !CLOSED.has(String(r.status));
  return date !== undefined && end.slice(0, 10) >= date.slice(0, 10);
}

/** An open CP plan (TFG-ChildProtectionPlan) or CIN episode (TFG-ChildrensSocialCareEpisode) found for a child. */
export interface OpenCase {
  /** `CarePlan/id` or `EpisodeOfCare/id`. */
  ref: string;
  /** The child's record it is about (`Patient/id`). */
  child: string;
}

/**
 * The open cases of children in `adult`'s current households on `date`, keyed by owning LA code. Empty
 * when the adult has no household, no child in it, or no child with an open plan or episode.
 */
export async function casesByAuthority(
  view: DeriveView,
  adult: string,
  date: string | undefined,
): Promise<Map<string, OpenCase[]>> {
  const adultRecords = await recordsOf(view, adult);
  const mine = new Set(adultRecords);
  const groups = await view.find("Group", [{ kind: "reference", param: "member", targets: adultRecords }]);
  const children = new Set<string>();
  for (const g of groups) {
    const members = (g.member as Member[] | undefined) ?? [];
    const current = (m: Member) => m.inactive !== true;
    const refOf = (m: Member) => (typeof m.entity?.reference === "string" ? m.entity.reference : "");
    if (!members.some((m) => mine.has(refOf(m)) && current(m))) continue;
    for (const m of members) {
      const ref = refOf(m);
      if (current(m) && ref.startsWith("Patient/") && !mine.has(ref)) children.add(ref);
    }
  }
  const childRecords = new Set<string>();
  for (const c of [...children].sort()) for (const r of await recordsOf(view, c)) if (!mine.has(r)) childRecords.add(r);
  const byLa = new Map<string, OpenCase[]>();
  if (childRecords.size === 0) return byLa;
  const targets = [...childRecords].sort();
  const plans = await view.find("CarePlan", [{ kind: "reference", param: "subject", targets }]);
  const episodes = await view.find("EpisodeOfCare", [{ kind: "reference", param: "patient", targets }]);
  const open = [
    ...plans
      .filter((p) => profiled(p, "TFG-ChildProtectionPlan") || hasType(p.category, "child-protection"))
      .map((p) => ({ r: p, child: (p.subject as { reference?: string } | undefined)?.reference })),
    ...episodes
      .filter((e) => profiled(e, "TFG-ChildrensSocialCareEpisode") || hasType(e.type, "child-in-need"))
      .map((e) => ({ r: e, child: (e.patient as { reference?: string } | undefined)?.reference })),
  ].filter((x) => openOn(x.r, date));
  for (const { r, child } of open) {
    if (!child) continue;
    for (const la of ownersOf(r)) {
      const list = byLa.get(la) ?? [];
      list.push({ ref: `${r.resourceType}/${r.id}`, child });
      byLa.set(la, list);
    }
  }
  for (const list of byLa.values()) list.sort((a, b) => a.ref.localeCompare(b.ref));
  return byLa;
}
