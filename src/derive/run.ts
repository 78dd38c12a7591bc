/**
 * The derivation runner: runs the derivers in order over one commit's planned source writes and plans
 * what they derive into writes for the same commit (see port.ts).
 */
import { prepareWrite } from "../fhir/resource-service.js";
import { sameContent } from "../ingest/same-content.js";
import type { OutboxMessage, ResourceWrite, Store, StoredVersion } from "../store/port.js";
import { Overlay } from "./overlay-view.js";
import type { DerivedResource, Deriver } from "./port.js";

/** What derivation adds to a commit. */
export interface DerivedWrites {
  /** Versioned, indexed writes of derived resources (creations, changes, deletions). */
  writes: ResourceWrite[];
  outbox: OutboxMessage[];
}

const keyOf = (r: { resourceType: string; id: string }) => `${r.resourceType}/${r.id}`;

/**
 * Content compared for "unchanged": as ingest compares it (meta.versionId/lastUpdated ignored), and for
 * a Provenance without `recorded`, the instant of the write, which is metadata rather than content.
 */
function unchanged(current: Record<string, unknown>, next: Record<string, unknown>): boolean {
  if (next.resourceType !== "Provenance") return sameContent(current, next);
  const { recorded: _a, ...a } = current;
  const { recorded: _b, ...b } = next;
  return sameContent(a, b);
}

/**
 * Runs `derivers` over `sourceWrites` (the commit's planned source writes, in order). Each deriver sees
 * the store overlaid with the source writes and every earlier deriver's planned output; what it returns
 * is planned like an ingested record: dropped when its content equals the current version, else written
 * at the next version with its index, `now` as lastUpdated (and as a derived Provenance's `recorded`).
 * Deletions of resources that are absent already are dropped. Returns only the derived writes.
 */
export async function runDerivers(
  store: Store,
  derivers: readonly Deriver[],
  sourceWrites: readonly ResourceWrite[],
  now: string,
): Promise<DerivedWrites> {
  const out: DerivedWrites = { writes: [], outbox: [] };
  if (derivers.length === 0 || sourceWrites.length === 0) return out;
  const overlay = new Overlay(sourceWrites);
  for (const deriver of derivers) {
    const view = overlay.view(store);
    const result = await deriver.derive({ view, touched: [...overlay.touched] });
    const wanted = [...result.resources.map(keyOf), ...(result.deletes ?? [])];
    const missing = wanted.filter((k) => !overlay.get(k));
    const stored: Map<string, StoredVersion> = missing.length
      ? await store.readMany(
          missing.map((k) => {
            const [resourceType, id] = k.split("/") as [string, string];
            return { resourceType, id };
          }),
        )
      : new Map();
    const current = (key: string) => {
      const w = overlay.get(key);
      if (w) return { versionId: w.versionId, resource: w.resource };
      const v = stored.get(key);
      return { versionId: v?.versionId ?? 0, resource: v && !v.deleted ? parsed(v) : undefined };
    };
    for (const r of result.resources) {
      const now_ = current(keyOf(r));
      if (now_.resource && unchanged(now_.resource, r)) continue;
      const body: DerivedResource =
        r.resourceType === "Provenance" && r.recorded === undefined ? { ...r, recorded: now } : r;
      const w = prepareWrite(r.resourceType, r.id, now_.versionId + 1, now, body);
      w.json = JSON.stringify(w.resource);
      overlay.add(w);
      out.writes.push(w);
    }
    for (const key of result.deletes ?? []) {
      const now_ = current(key);
      if (!now_.resource) continue;
      const [resourceType, id] = key.split("/") as [string, string];
      const w = prepareWrite(resourceType, id, now_.versionId + 1, now, undefined);
      overlay.add(w);
      out.writes.push(w);
    }
    out.outbox.push(...(result.outbox ?? []));
  }
  return out;
}

function parsed(v: StoredVersion): Record<string, unknown> | undefined {
  if (v.resource) return v.resource;
  if (v.json === undefined) return undefined;
  return JSON.parse(typeof v.json === "string" ? v.json : new TextDecoder().decode(v.json)) as Record<string, unknown>;
}
