/**
 * The person-index deriver: for every Patient a commit touches, recomputes the cluster of records of the
 * same person (the connected records of its links) and writes one Person per cluster, its Provenance,
 * and a possible-match Task for each pair that is close but not close enough (docs/LINKAGE.md).
 *
 * A link is a pure function of the two records (compare.ts) and of reviewers' decisions (a Task
 * `completed` links, `rejected` never links), and candidates come from symmetric blocking searches, so
 * the clusters do not depend on the order records arrived in. Each cluster is walked from the touched
 * record through its links: the cost is the cluster's, never the population's.
 *
 * A RelatedPerson known by name and birth date (an SSD related-people row) joins the Person of the Patient records
 * it links with automatically; it never joins two Persons the Patient records alone keep apart (linked with records
 * of two, it joins neither), is never linked with another RelatedPerson, and raises no possible-match Task.
 */
import { CachedView } from "../derive/cached-view.js";
import type { DerivedResource, DeriveOutput, Deriver, DeriveView } from "../derive/port.js";
import { candidatesOf } from "./blocking.js";
import { type Comparison, compare } from "./compare.js";
import { type Features, featuresOf, isLinkableRelatedPerson } from "./features.js";
import { type Edge, PERSON_INDEX, pairOf, personOf, provenanceId, provenanceOf, taskId, taskOf } from "./resources.js";

/** What one derive call learns about records and pairs, so each is read and compared once. */
class Walk {
  readonly features = new Map<string, Features | null>();
  readonly edges = new Map<string, Edge[]>();
  /** Pairs (by Task id) in the review band, with their comparison. */
  readonly review = new Map<string, { a: string; b: string; comparison: Comparison }>();
  /** Existing possible-match Tasks seen, by id. */
  readonly tasks = new Map<string, DerivedResource>();

  constructor(private readonly view: DeriveView) {}

  async featuresOf(key: string): Promise<Features | null> {
    if (this.features.has(key)) return this.features.get(key) ?? null;
    const [type, id] = key.split("/") as [string, string];
    const r = type === "Patient" || type === "RelatedPerson" ? await this.view.read(type, id) : undefined;
    const f = r && (type === "Patient" || isLinkableRelatedPerson(r)) ? featuresOf({ ...r, resourceType: type }) : null;
    this.features.set(key, f);
    return f;
  }

  /** Reviewers' decisions and waiting Tasks about `key`, by the other record. */
  private async decisionsOf(key: string): Promise<Map<string, DerivedResource>> {
    const out = new Map<string, DerivedResource>();
    for (const param of ["subject", "focus"]) {
      for (const t of await this.view.find("Task", [{ kind: "reference", param, targets: [key] }])) {
        const pair = pairOf(t);
        if (!pair) continue;
        this.tasks.set(t.id, t);
        out.set(pair[0] === key ? pair[1] : pair[0], t);
      }
    }
    return out;
  }

  /** The links of one record: to candidates that compare as a link, or that a reviewer accepted. */
  async edgesOf(key: string): Promise<Edge[]> {
    const known = this.edges.get(key);
    if (known) return known;
    const f = await this.featuresOf(key);
    const edges: Edge[] = [];
    this.edges.set(key, edges);
    if (!f) return edges;
    const decisions = await this.decisionsOf(key);
    const seen = new Set<string>();
    for (const candidate of await candidatesOf(this.view, f)) {
      const other = featuresOf(candidate);
      if (!this.features.has(other.key)) this.features.set(other.key, other);
      seen.add(other.key);
      const status = decisions.get(other.key)?.status;
      if (status === "rejected") continue;
      const comparison = compare(f, other);
      // A RelatedPerson is a mention by a relative's record: it links when the evidence is strong, never waits for review.
      const mention = isRelatedPerson(key) || isRelatedPerson(other.key);
      if (status === "completed") edges.push({ a: key, b: other.key, method: "reviewer", comparison });
      else if (comparison.decision === "link")
        edges.push({ a: key, b: other.key, method: comparison.method, comparison });
      else if (comparison.decision === "review" && !mention)
        this.review.set(taskId(key, other.key), { a: key, b: other.key, comparison });
    }
    // Accepted matches that blocking would not find (a reviewer may link records that share little).
    for (const [other, task] of decisions) {
      if (seen.has(other) || task.status !== "completed") continue;
      const g = await this.featuresOf(other);
      if (g) edges.push({ a: key, b: other, method: "reviewer", comparison: compare(f, g) });
    }
    return edges;
  }

  /**
   * The cluster of Patient `start`: every Patient record reachable through links between Patient records, then
   * each RelatedPerson linked with them whose every link is to one of them; and those links.
   */
  async clusterOf(start: string): Promise<{ members: string[]; edges: Edge[]; mentions: string[] }> {
    const members = new Set<string>([start]);
    const queue = [start];
    const edges = new Map<string, Edge>();
    const mentions = new Set<string>();
    while (queue.length) {
      const key = queue.shift() as string;
      for (const e of await this.edgesOf(key)) {
        const other = e.a === key ? e.b : e.a;
        if (isRelatedPerson(other)) {
          mentions.add(other);
          continue;
        }
        edges.set(taskId(e.a, e.b), e);
        if (!members.has(other)) {
          members.add(other);
          queue.push(other);
        }
      }
    }
    const patients = new Set(members);
    for (const rp of [...mentions].sort()) {
      const own = await this.edgesOf(rp);
      if (!own.every((e) => patients.has(e.a === rp ? e.b : e.a))) continue;
      members.add(rp);
      for (const e of own) edges.set(taskId(e.a, e.b), e);
    }
    return { members: [...members].sort(), edges: [...edges.values()], mentions: [...mentions].sort() };
  }
}

const isRelatedPerson = (key: string) => key.startsWith("RelatedPerson/");

/** The records a commit's touched keys ask to re-link: touched Patients and RelatedPersons, and both records of a touched review Task. */
async function seedsOf(view: DeriveView, touched: readonly string[]): Promise<Set<string>> {
  const seeds = new Set<string>();
  for (const key of touched) {
    if (key.startsWith("Patient/") || isRelatedPerson(key)) seeds.add(key);
    else if (key.startsWith("Task/")) {
      const task = await view.read("Task", key.slice("Task/".length));
      const pair = task ? pairOf(task) : undefined;
      if (pair) for (const k of pair) seeds.add(k);
    }
  }
  return seeds;
}

const membersOf = (person: DerivedResource): string[] =>
  ((person.link as { target?: { reference?: string } }[] | undefined) ?? [])
    .map((l) => l.target?.reference)
    .filter((r): r is string => typeof r === "string" && (r.startsWith("Patient/") || isRelatedPerson(r)));

/** The reference look-ups made for every seed: its Person, and review Tasks naming it either way. */
const SEED_LOOKUPS = [
  ["Person", "link"],
  ["Task", "subject"],
  ["Task", "focus"],
] as const;

/** Recomputes the clusters of the touched records (see the file comment). */
export async function derivePersonIndex(inner: DeriveView, touched: readonly string[]): Promise<DeriveOutput> {
  const seeds = await seedsOf(inner, touched);
  if (seeds.size === 0) return { resources: [] };
  // The look-ups every seed makes, fetched for all seeds in a few queries rather than three per record.
  const view = new CachedView(inner);
  for (const [type, param] of SEED_LOOKUPS) await view.prefetch(type, param, seeds);
  const walk = new Walk(view);
  // The records of the seeds' current Persons are re-clustered too: a changed record may leave its cluster.
  // One search per record: a single indexed value each (several ORed would be filtered from a scan).
  const before = new Map<string, DerivedResource>();
  const queue: string[] = [];
  const done = new Set<string>();
  const holding = async (key: string) => {
    for (const p of await view.find("Person", [{ kind: "reference", param: "link", targets: [key] }])) {
      if (before.has(p.id)) continue;
      before.set(p.id, p);
      for (const m of membersOf(p)) if (!done.has(m)) queue.push(m);
    }
  };
  for (const seed of [...seeds].sort()) {
    queue.push(seed);
    await holding(seed);
  }
  const resources: DerivedResource[] = [];
  const produced = new Set<string>();
  while (queue.length) {
    const key = queue.shift() as string;
    if (done.has(key)) continue;
    if (isRelatedPerson(key)) {
      // A RelatedPerson is placed by the clusters of the Patient records it links with.
      done.add(key);
      for (const e of await walk.edgesOf(key)) queue.push(e.a === key ? e.b : e.a);
      continue;
    }
    if (!(await walk.featuresOf(key))) continue;
    const { members, edges, mentions } = await walk.clusterOf(key);
    for (const m of members) done.add(m);
    const person = personOf(members, edges);
    produced.add(person.id);
    resources.push(person, provenanceOf(person, members));
    // Persons holding a record of this cluster, or a RelatedPerson it links with, are rewritten or deleted: a
    // new record can merge two Persons, or make a RelatedPerson ambiguous.
    for (const k of [...members, ...mentions]) await holding(k);
  }
  const deletes: string[] = [];
  for (const p of before.values())
    if (!produced.has(p.id)) deletes.push(`Person/${p.id}`, `Provenance/${provenanceId(p.id)}`);
  // Possible matches: a Task per pair in the review band (a reviewer's decision is kept as it is); a waiting
  // Task whose pair no longer compares in the band is withdrawn.
  for (const [id, { a, b, comparison }] of walk.review) {
    const existing = walk.tasks.get(id);
    if (existing && existing.status !== "requested") continue;
    resources.push(taskOf(a, b, comparison, "requested"));
  }
  for (const [id, task] of walk.tasks)
    if (task.status === "requested" && !walk.review.has(id)) {
      const pair = pairOf(task);
      if (pair?.some((k) => done.has(k))) deletes.push(`Task/${id}`);
    }
  return { resources, deletes };
}

/** The person index, first in the derivation chain. */
export const personIndexDeriver: Deriver = {
  name: PERSON_INDEX,
  derive: ({ view, touched }) => derivePersonIndex(view, touched),
};
