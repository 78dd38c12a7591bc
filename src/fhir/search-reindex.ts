/**
 * Rebuilds the search index of every current resource from its stored JSON: after a migration adds
 * index tables (0002) or SEARCH_PARAMS changes (SEARCH_INDEX_VERSION). Idempotent; run it while no one
 * writes (the Node server runs it before it listens; `npm run tfg -- reindex` runs it on demand).
 */
import type { Store } from "../store/port.js";
import { indexResource, SEARCH_INDEX_VERSION } from "./search-index.js";

/** What a reindex did. */
export interface ReindexResult {
  resources: number;
  fromVersion: number;
  toVersion: number;
}

/** Reindexes every current resource, `batchSize` at a time, then records SEARCH_INDEX_VERSION. */
export async function reindexSearch(
  store: Store,
  options: { batchSize?: number; onBatch?: (done: number) => void } = {},
): Promise<ReindexResult> {
  const fromVersion = await store.searchIndexVersion();
  const batchSize = options.batchSize ?? 200;
  let after: { resourceType: string; id: string } | undefined;
  let resources = 0;
  for (;;) {
    const batch = await store.scanCurrent(after, batchSize);
    if (batch.length === 0) break;
    await store.replaceIndex(
      batch.flatMap((v) =>
        v.resource ? [{ resourceType: v.resourceType, id: v.id, ...indexResource(v.resource) }] : [],
      ),
    );
    resources += batch.length;
    options.onBatch?.(resources);
    const last = batch[batch.length - 1] as { resourceType: string; id: string };
    after = { resourceType: last.resourceType, id: last.id };
  }
  await store.replaceIndex([], SEARCH_INDEX_VERSION);
  return { resources, fromVersion, toVersion: SEARCH_INDEX_VERSION };
}

/** Reindexes only when the stored index was built by an older SEARCH_INDEX_VERSION; undefined otherwise. */
export async function reindexIfStale(store: Store): Promise<ReindexResult | undefined> {
  if ((await store.searchIndexVersion()) >= SEARCH_INDEX_VERSION) return undefined;
  return reindexSearch(store);
}
