/**
 * Rebuilds the search index of every current resource from its stored JSON: after a migration adds
 * index tables (0002) or SEARCH_PARAMS changes (SEARCH_INDEX_VERSION). Idempotent and resumable; run it
 * while no one writes (the Node server runs it before it listens; `npm run tfg -- reindex` runs it on
 * demand; on Workers, `POST /admin/reindex` runs it a step at a time).
 */
import type { Store } from "../store/port.js";
import { indexResource, SEARCH_INDEX_VERSION } from "./search-index.js";

/** What a reindex did. */
export interface ReindexResult {
  resources: number;
  fromVersion: number;
  toVersion: number;
}

/** A resource key in (type, id) order: where a reindex step resumes. */
export interface ReindexKey {
  resourceType: string;
  id: string;
}

/** One step: up to `limit` resources after `after`. `next` is where the following step starts; absent when done. */
export interface ReindexStep {
  resources: number;
  next?: ReindexKey;
}

/**
 * Reindexes up to `limit` current resources after `after`, `batchSize` per commit. When the last
 * resource is done, records SEARCH_INDEX_VERSION as the index's version.
 */
export async function reindexStep(
  store: Store,
  after: ReindexKey | undefined,
  limit: number,
  batchSize = 200,
): Promise<ReindexStep> {
  let resources = 0;
  let cursor = after;
  while (resources < limit) {
    const batch = await store.scanCurrent(cursor, Math.min(batchSize, limit - resources));
    if (batch.length === 0) {
      await store.replaceIndex([], SEARCH_INDEX_VERSION);
      return { resources };
    }
    await store.replaceIndex(
      batch.flatMap((v) =>
        v.resource ? [{ resourceType: v.resourceType, id: v.id, ...indexResource(v.resource) }] : [],
      ),
    );
    resources += batch.length;
    const last = batch[batch.length - 1] as ReindexKey;
    cursor = { resourceType: last.resourceType, id: last.id };
  }
  return { resources, ...(cursor ? { next: cursor } : {}) };
}

/** Reindexes every current resource, `batchSize` at a time, then records SEARCH_INDEX_VERSION. */
export async function reindexSearch(
  store: Store,
  options: { batchSize?: number; onBatch?: (done: number) => void } = {},
): Promise<ReindexResult> {
  const fromVersion = await store.searchIndexVersion();
  const batchSize = options.batchSize ?? 200;
  let resources = 0;
  let after: ReindexKey | undefined;
  for (;;) {
    const step = await reindexStep(store, after, batchSize, batchSize);
    resources += step.resources;
    options.onBatch?.(resources);
    if (!step.next) break;
    after = step.next;
  }
  return { resources, fromVersion, toVersion: SEARCH_INDEX_VERSION };
}

/** Reindexes only when the stored index was built by an older SEARCH_INDEX_VERSION; undefined otherwise. */
export async function reindexIfStale(store: Store): Promise<ReindexResult | undefined> {
  if ((await store.searchIndexVersion()) >= SEARCH_INDEX_VERSION) return undefined;
  return reindexSearch(store);
}
