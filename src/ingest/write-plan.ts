/**
 * Decides what one record must write: only resources whose content differs from what is stored (or
 * already planned earlier in the same batch), each at the next version, plus the record's
 * Provenance when anything changed. A resource the record produced before but no longer produces
 * (a child taken off a household list, an assessment corrected away) is withdrawn: a deletion
 * version, unless another record still produces it.
 */
import { prepareWrite } from "../fhir/resource-service.js";
import type { MappedResource } from "../mapping/engine.js";
import type { ResourceWrite, Store, StoredVersion } from "../store/port.js";
import { sameContent } from "./same-content.js";
import { mergeShared } from "./shared-merge.js";

export { comparable } from "./same-content.js";

type Resource = Record<string, unknown> & { resourceType: string; id: string };

/** Writes planned but not yet committed, so later records in a batch build on them. */
export class PendingWrites {
  private readonly byKey = new Map<string, { versionId: number; resource: Record<string, unknown> | undefined }>();
  /** Every resource some record of the batch produces, written or found unchanged. */
  private readonly produced = new Set<string>();

  /** Notes resources a record of the batch produces. */
  produce(keys: Iterable<string>) {
    for (const k of keys) this.produced.add(k);
  }

  /** True when a record of the batch produces `key`. */
  isProduced(key: string) {
    return this.produced.has(key);
  }

  get(key: string) {
    return this.byKey.get(key);
  }

  /** Records a planned write (a deletion when it has no resource). */
  add(w: ResourceWrite) {
    this.byKey.set(`${w.resourceType}/${w.id}`, { versionId: w.versionId, resource: w.resource });
  }

  clear() {
    this.byKey.clear();
    this.produced.clear();
  }
}

/** A record's plan: the writes, how many create new resources, every resource it touches, and those it withdraws. */
export interface RecordPlan {
  writes: ResourceWrite[];
  created: number;
  keys: string[];
  withdrawn: string[];
  /** Set (to `Type/id`) when a resource would be stored larger than the limit: nothing is planned, nothing pending changes. */
  tooLarge?: string;
}

/** UTF-8 length of `json` when it might pass `max` (counted only near the limit; most resources are far below it). */
function exceeds(json: string, max: number): boolean {
  if (json.length * 3 <= max) return false;
  if (json.length > max) return true;
  return new TextEncoder().encode(json).length > max;
}

const targetsOf = (provenance: Record<string, unknown> | undefined): string[] =>
  Array.isArray(provenance?.target)
    ? (provenance.target as { reference?: unknown }[])
        .map((t) => t.reference)
        .filter((ref): ref is string => typeof ref === "string")
    : [];

/** True when a Provenance other than `own` (a committed one) names `key` as a target. */
async function producedElsewhere(store: Store, key: string, own: string): Promise<boolean> {
  const page = await store.search({
    resourceType: "Provenance",
    criteria: [{ kind: "reference", param: "target", targets: [key] }],
    count: 2,
    offset: 0,
    sort: "lastUpdated",
    withoutTotal: true,
  });
  return page.versions.some((v) => v.id !== own);
}

/** Current versions read ahead for a batch (`Store.readMany`): `keys` were asked for, `found` holds those stored. */
export interface Prefetched {
  keys: ReadonlySet<string>;
  found: ReadonlyMap<string, StoredVersion>;
}

/** Reads the current versions of every resource the records produce, in a few queries. */
export async function prefetch(store: Store, records: readonly MappedResource[][]): Promise<Prefetched> {
  const wanted = new Map<string, { resourceType: string; id: string }>();
  for (const resources of records)
    for (const { resource } of resources)
      wanted.set(`${resource.resourceType}/${resource.id}`, { resourceType: resource.resourceType, id: resource.id });
  return { keys: new Set(wanted.keys()), found: await store.readMany([...wanted.values()]) };
}

/**
 * Plans one record's writes against the store and the batch's pending writes; `prefetched` current
 * versions spare a query per resource (anything not prefetched is read one by one).
 */
export async function planRecord(
  store: Store,
  resources: MappedResource[],
  now: string,
  pending: PendingWrites,
  prefetched?: Prefetched,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<RecordPlan> {
  const unique = new Map<string, Resource>();
  const shared = new Map<string, readonly string[]>();
  for (const { resource, shared: s } of resources) {
    const key = `${resource.resourceType}/${resource.id}`;
    unique.set(key, resource);
    if (s) shared.set(key, s.owns);
  }
  const writes: ResourceWrite[] = [];
  let created = 0;
  let provenance: Resource | undefined;
  // The current version: planned earlier in the batch, prefetched, or read now. Content is compared as
  // parsed JSON (sameContent), never serialised.
  const currentOf = async (r: { resourceType: string; id: string }) => {
    const key = `${r.resourceType}/${r.id}`;
    const planned = pending.get(key);
    if (planned) return { versionId: planned.versionId, resource: planned.resource };
    const stored = prefetched?.keys.has(key) ? prefetched.found.get(key) : await store.read(r.resourceType, r.id);
    return {
      versionId: stored?.versionId ?? 0,
      resource: stored?.resource && !stored.deleted ? stored.resource : undefined,
    };
  };
  for (const [key, produced] of unique) {
    if (produced.resourceType === "Provenance") {
      provenance = produced;
      continue;
    }
    const current = await currentOf(produced);
    // A resource several sources write (docs/MAPPINGS.md, "shared"): merged with what is stored.
    const owns = shared.get(key);
    const r = owns ? mergeShared(current.resource as Resource | undefined, produced, owns) : produced;
    if (current.resource && sameContent(current.resource, r)) continue;
    if (!current.resource) created++;
    const w = prepareWrite(r.resourceType, r.id, current.versionId + 1, now, r);
    // Serialised once here, so the store writes this text instead of serialising again.
    w.json = JSON.stringify(w.resource);
    if (exceeds(w.json, maxBytes))
      return { writes: [], created: 0, keys: [], withdrawn: [], tooLarge: `${r.resourceType}/${r.id}` };
    writes.push(w);
  }
  // Nothing of the record is pending until all of it fits: a refused record leaves the batch as it was.
  pending.produce(unique.keys());
  for (const w of writes) pending.add(w);
  const withdrawn: string[] = [];
  if (provenance) {
    const before = await currentOf(provenance);
    const previous = before.resource ? targetsOf(before.resource) : [];
    for (const key of previous) {
      if (unique.has(key) || pending.isProduced(key)) continue;
      const [resourceType, id] = key.split("/") as [string, string];
      const current = await currentOf({ resourceType, id });
      if (!current.resource || (await producedElsewhere(store, key, provenance.id))) continue;
      const w = prepareWrite(resourceType, id, current.versionId + 1, now, undefined);
      writes.push(w);
      pending.add(w);
      withdrawn.push(key);
    }
    if (writes.length > 0) {
      const w = prepareWrite("Provenance", provenance.id, before.versionId + 1, now, { ...provenance, recorded: now });
      w.json = JSON.stringify(w.resource);
      writes.push(w);
      pending.add(w);
    }
  }
  return { writes, created, keys: [...unique.keys()], withdrawn };
}
