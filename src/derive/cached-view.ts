/**
 * A memo over a {@link DeriveView} for one derive call: the same read or find asked for many subjects of one
 * household is answered once, and finds by reference can be fetched ahead for many targets in one query
 * ({@link CachedView.prefetch}), then answered per target from memory.
 */
import type { SearchCriterion } from "../store/port.js";
import type { DerivedResource, DeriveView } from "./port.js";
import { byId } from "./store-view.js";

/**
 * Targets per prefetch query (the criterion's values are ORed). D1 binds at most 100 parameters a statement, and
 * the SQL stores bind four for each reference target (its id, and the type, parameter and target type that name
 * its index code), plus a few for the query: 20 targets stay well inside the bound.
 */
const CHUNK = 20;

type Json = Record<string, unknown>;
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : v === undefined ? [] : [v as Json]);

/**
 * Where each reference search parameter the derivers fetch ahead points, as element paths from the resource root (the
 * parameter's path in the R4 SearchParameter definitions, search-params.generated.ts).
 */
const REFERENCE_PATHS: Record<string, readonly string[]> = {
  "Person|link": ["link", "target"],
  "Task|subject": ["for"],
  "Task|focus": ["focus"],
  "Provenance|entity": ["entity", "what"],
  "RelatedPerson|patient": ["patient"],
  "Group|member": ["member", "entity"],
  "EpisodeOfCare|patient": ["patient"],
  "CarePlan|subject": ["subject"],
  "Observation|subject": ["subject"],
  "Flag|subject": ["subject"],
  "Provenance|target": ["target"],
};

/** The `reference` values at `path` in `r`. */
function referencesAt(r: Json, path: readonly string[]): string[] {
  let nodes: Json[] = [r];
  for (const step of path) nodes = nodes.flatMap((n) => list(n[step]));
  return nodes.map((n) => n.reference).filter((x): x is string => typeof x === "string");
}

/** A view whose reads and finds are remembered for the life of the object (one derive call). */
export class CachedView implements DeriveView {
  private readonly reads = new Map<string, Promise<DerivedResource | undefined>>();
  private readonly finds = new Map<string, Promise<DerivedResource[]>>();
  /** `Type|param` → target → the resources referencing it, for targets fetched ahead. */
  private readonly ahead = new Map<string, Map<string, DerivedResource[]>>();

  constructor(private readonly inner: DeriveView) {}

  read(resourceType: string, id: string): Promise<DerivedResource | undefined> {
    const key = `${resourceType}/${id}`;
    let hit = this.reads.get(key);
    if (!hit) {
      hit = this.inner.read(resourceType, id);
      this.reads.set(key, hit);
    }
    return hit;
  }

  find(resourceType: string, criteria: SearchCriterion[]): Promise<DerivedResource[]> {
    // One reference criterion whose targets were all fetched ahead: answered from memory.
    const only = criteria.length === 1 ? criteria[0] : undefined;
    if (only?.kind === "reference") {
      const index = this.ahead.get(`${resourceType}|${only.param}`);
      if (index && only.targets.every((t) => index.has(t))) return Promise.resolve(this.fromIndex(index, only.targets));
    }
    const key = `${resourceType}?${JSON.stringify(criteria)}`;
    let hit = this.finds.get(key);
    if (!hit) {
      hit = this.inner.find(resourceType, criteria);
      this.finds.set(key, hit);
    }
    return hit;
  }

  findWithin(resourceType: string, criteria: SearchCriterion[], limit: number): Promise<DerivedResource[] | undefined> {
    return this.inner.findWithin(resourceType, criteria, limit);
  }

  /**
   * Fetches ahead, in a few queries, every `resourceType` whose reference parameter `param` points at one of
   * `targets`, so later {@link byReference} calls over those targets need no query. Only the parameters of
   * {@link REFERENCE_PATHS}; others are left to per-call finds.
   */
  async prefetch(resourceType: string, param: string, targets: Iterable<string>): Promise<void> {
    const path = REFERENCE_PATHS[`${resourceType}|${param}`];
    if (!path) return;
    const index = this.ahead.get(`${resourceType}|${param}`) ?? new Map<string, DerivedResource[]>();
    this.ahead.set(`${resourceType}|${param}`, index);
    const missing = [...new Set(targets)].filter((t) => !index.has(t)).sort();
    for (let i = 0; i < missing.length; i += CHUNK) {
      const chunk = missing.slice(i, i + CHUNK);
      const found = await this.inner.find(resourceType, [{ kind: "reference", param, targets: chunk }]);
      const wanted = new Set(chunk);
      for (const t of chunk) index.set(t, []);
      for (const r of found)
        for (const ref of new Set(referencesAt(r, path))) if (wanted.has(ref)) index.get(ref)?.push(r);
    }
  }

  /** Resources of `resourceType` whose reference parameter `param` points at any of `targets` (`Type/id`), by id. */
  async byReference(resourceType: string, param: string, targets: readonly string[]): Promise<DerivedResource[]> {
    if (targets.length === 0) return [];
    const sorted = [...new Set(targets)].sort();
    return this.find(resourceType, [{ kind: "reference", param, targets: sorted }]);
  }

  /** The resources fetched ahead for `targets`, each once, by id. */
  private fromIndex(index: Map<string, DerivedResource[]>, targets: readonly string[]): DerivedResource[] {
    const seen = new Map<string, DerivedResource>();
    for (const t of targets) for (const r of index.get(t) ?? []) seen.set(r.id, r);
    return [...seen.values()].sort(byId);
  }
}
