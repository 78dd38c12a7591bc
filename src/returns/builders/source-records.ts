/**
 * The source record a stored resource came from: the ingest Provenance that names it lists every resource that
 * record produced. Read for a batch of references in a few indexed queries (the Provenances naming the batch in
 * one `findReferencing`, then one `readMany` of what they list that the caller does not already hold), so the
 * cost per record stays flat however large the store.
 */
import { type Json, referenceOf, resourceOf, splitReference } from "../../reports/fhir-read.js";
import type { Store } from "../../store/port.js";

/** One source record: its Provenance and the current resources it lists, by `Type/id`. */
export interface SourceRecord {
  provenance: Json;
  resources: Map<string, Json>;
}

const INGEST_SOURCE = "urn:tfg:source:";

/** The value of the Provenance's source-record identifier (e.g. `201/CH0001/2024/2026-03-31` for a CIN child). */
export function sourceRecordKey(provenance: Json): string | undefined {
  const entities = Array.isArray(provenance.entity) ? (provenance.entity as Json[]) : [];
  for (const e of entities) {
    const id = (e.what as { identifier?: { system?: unknown; value?: unknown } } | undefined)?.identifier;
    if (
      typeof id?.system === "string" &&
      id.system.startsWith("urn:tfg:source-record:") &&
      typeof id.value === "string"
    )
      return id.value;
  }
  return undefined;
}

/** What the caller already holds or does not need, so that it is not read. */
export interface SourceReading {
  /** Current resources the caller has already read (the page of episodes it walks), by `Type/id`. */
  known?: ReadonlyMap<string, Json>;
  /** True for a listed resource (`Type/id`) of `provenance` that the caller does not use: it is left out of the record. */
  skip?: (target: string, provenance: Json) => boolean;
}

/**
 * The ingest source records naming each of `refs` (`Type/id`), keyed by that reference; a reference several
 * records name (a child in two census years) gets each, in the order of `refs` and then of Provenance id.
 * `accept` filters Provenances before anything is read; `reading` names resources not to read.
 */
export async function sourceRecordsOf(
  store: Store,
  refs: readonly string[],
  accept: (provenance: Json) => boolean = () => true,
  reading: SourceReading = {},
): Promise<Map<string, SourceRecord[]>> {
  const known = reading.known ?? new Map<string, Json>();
  const unique = [...new Set(refs)];
  const naming = await store.findReferencing("Provenance", "target", unique);
  // Each Provenance once (the first reference naming it places it), with the targets it lists that are wanted.
  const provenances: { provenance: Json; targets: string[] }[] = [];
  const seen = new Set<string>();
  for (const ref of unique) {
    for (const version of naming.get(ref) ?? []) {
      const prov = resourceOf(version);
      const source = (prov?.meta as { source?: unknown } | undefined)?.source;
      if (!prov || typeof source !== "string" || !source.startsWith(INGEST_SOURCE) || !accept(prov)) continue;
      if (seen.has(prov.id as string)) continue;
      seen.add(prov.id as string);
      const listed = (Array.isArray(prov.target) ? prov.target : [])
        .map(referenceOf)
        .filter((t): t is string => !!t && !!splitReference(t));
      provenances.push({ provenance: prov, targets: listed });
    }
  }
  const read = new Set<string>();
  for (const p of provenances)
    for (const t of p.targets) if (!known.has(t) && !reading.skip?.(t, p.provenance)) read.add(t);
  const found =
    read.size > 0
      ? await store.readMany([...read].map((t) => splitReference(t) as { resourceType: string; id: string }))
      : new Map();
  const wanted = new Set(refs);
  const out = new Map<string, SourceRecord[]>();
  for (const { provenance, targets } of provenances) {
    const resources = new Map<string, Json>();
    for (const t of targets) {
      const r = known.get(t) ?? (read.has(t) && !reading.skip?.(t, provenance) ? resourceOf(found.get(t)) : undefined);
      if (r) resources.set(t, r);
    }
    const record = { provenance, resources };
    for (const t of targets) {
      if (!wanted.has(t)) continue;
      const list = out.get(t);
      if (list) list.push(record);
      else out.set(t, [record]);
    }
  }
  return out;
}

/** The resources of a record of one type. */
export const ofType = (record: SourceRecord | undefined, resourceType: string): Json[] =>
  record ? [...record.resources.values()].filter((r) => r.resourceType === resourceType) : [];
