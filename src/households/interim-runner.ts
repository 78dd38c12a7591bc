/**
 * A stand-in for the derivation runner (src/derive/run.ts, from branch `link`) used by the households
 * tests and `npm run linkage:score` until it lands: runs derivers in order over committed data, drops
 * unchanged results (content compared without meta and Provenance.recorded), and commits the rest in
 * one change set. Each deriver sees the committed data only (not the earlier derivers' pending output).
 */
import type { DeriveOutput, Deriver } from "../derive/port.js";
import { storeView } from "../derive/store-view.js";
import { prepareWrite } from "../fhir/resource-service.js";
import { sameContent } from "../ingest/same-content.js";
import type { ResourceWrite, Store } from "../store/port.js";

/** What one run wrote: resources created or changed, and deleted. */
export interface InterimRunResult {
  written: string[];
  deleted: string[];
  outputs: DeriveOutput[];
}

const withoutRecorded = (r: Record<string, unknown>) => {
  const { recorded: _recorded, ...rest } = r;
  return rest;
};

/** Runs `derivers` for `touched` keys and commits what changed at instant `now`; each deriver's output is committed before the next runs. */
export async function runDeriversInterim(
  store: Store,
  derivers: readonly Deriver[],
  touched: readonly string[],
  now: string,
): Promise<InterimRunResult> {
  const result: InterimRunResult = { written: [], deleted: [], outputs: [] };
  let keys = [...touched];
  for (const deriver of derivers) {
    const view = storeView(store);
    const out = await deriver.derive({ view, touched: keys });
    result.outputs.push(out);
    const writes: ResourceWrite[] = [];
    for (const r of out.resources) {
      const current = await store.read(r.resourceType, r.id);
      const stored = current && !current.deleted ? await view.read(r.resourceType, r.id) : undefined;
      if (stored && sameContent(withoutRecorded(stored), withoutRecorded(r))) continue;
      const body = r.resourceType === "Provenance" ? { ...r, recorded: now } : r;
      writes.push(prepareWrite(r.resourceType, r.id, (current?.versionId ?? 0) + 1, now, body));
      result.written.push(`${r.resourceType}/${r.id}`);
    }
    for (const key of out.deletes ?? []) {
      const [type, id] = key.split("/") as [string, string];
      const current = await store.read(type, id);
      if (!current || current.deleted) continue;
      writes.push(prepareWrite(type, id, current.versionId + 1, now, undefined));
      result.deleted.push(key);
    }
    if (writes.length > 0 || out.outbox?.length)
      await store.commit({ resources: writes, ...(out.outbox?.length ? { outbox: out.outbox } : {}) });
    keys = [...keys, ...writes.map((w) => `${w.resourceType}/${w.id}`)];
  }
  return result;
}
