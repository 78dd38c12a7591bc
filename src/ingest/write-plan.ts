/**
 * Decides what one record must write: only resources whose content differs from what is stored (or
 * already planned earlier in the same batch), each at the next version, plus the record's
 * Provenance when anything changed.
 */
import { prepareWrite } from "../fhir/resource-service.js";
import type { MappedResource } from "../mapping/engine.js";
import { canonicalJson } from "../store/hash-chain.js";
import type { ResourceWrite, Store } from "../store/port.js";

type Resource = Record<string, unknown> & { resourceType: string; id: string };

/** Content compared for "unchanged": everything but meta.versionId and meta.lastUpdated. */
export const comparable = (r: Record<string, unknown>) => {
  const meta = (r.meta ?? {}) as Record<string, unknown>;
  return canonicalJson({ ...r, meta: { profile: meta.profile, source: meta.source } });
};

/** Writes planned but not yet committed, so later records in a batch build on them. */
export class PendingWrites {
  private readonly byKey = new Map<string, { versionId: number; content: string }>();

  get(key: string) {
    return this.byKey.get(key);
  }

  /** Records a planned write; `content` is its comparable form when the caller already has it. */
  add(w: ResourceWrite, content?: string) {
    this.byKey.set(`${w.resourceType}/${w.id}`, {
      versionId: w.versionId,
      content: content ?? (w.resource ? comparable(w.resource) : ""),
    });
  }

  clear() {
    this.byKey.clear();
  }
}

/** A record's plan: the writes, how many create new resources, and every resource it touches. */
export interface RecordPlan {
  writes: ResourceWrite[];
  created: number;
  keys: string[];
}

/** Plans one record's writes against the store and the batch's pending writes. */
export async function planRecord(
  store: Store,
  resources: MappedResource[],
  now: string,
  pending: PendingWrites,
): Promise<RecordPlan> {
  const unique = new Map<string, Resource>();
  for (const { resource } of resources) unique.set(`${resource.resourceType}/${resource.id}`, resource);
  const writes: ResourceWrite[] = [];
  let created = 0;
  let provenance: Resource | undefined;
  const currentOf = async (r: Resource) => {
    const key = `${r.resourceType}/${r.id}`;
    const planned = pending.get(key);
    if (planned) return { versionId: planned.versionId, content: planned.content, exists: planned.content !== "" };
    const stored = await store.read(r.resourceType, r.id);
    return {
      versionId: stored?.versionId ?? 0,
      content: stored?.resource && !stored.deleted ? comparable(stored.resource) : "",
      exists: Boolean(stored && !stored.deleted),
    };
  };
  for (const r of unique.values()) {
    if (r.resourceType === "Provenance") {
      provenance = r;
      continue;
    }
    const current = await currentOf(r);
    const content = comparable(r);
    if (current.exists && current.content === content) continue;
    if (!current.exists) created++;
    const w = prepareWrite(r.resourceType, r.id, current.versionId + 1, now, r);
    writes.push(w);
    pending.add(w, content);
  }
  if (writes.length > 0 && provenance) {
    const current = await currentOf(provenance);
    const w = prepareWrite("Provenance", provenance.id, current.versionId + 1, now, { ...provenance, recorded: now });
    writes.push(w);
    pending.add(w);
  }
  return { writes, created, keys: [...unique.keys()] };
}
