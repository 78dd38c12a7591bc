/**
 * The source record a stored resource came from: the ingest Provenance that names it lists every resource that
 * record produced. Read for a batch of references in a few indexed queries (Provenance by target, then one
 * readMany), so the cost per record stays flat however large the store.
 */
import { chunk, type Json, referenceOf, resourceOf, splitReference } from "../../reports/fhir-read.js";
import { searchAll } from "../../reports/search-all.js";
import type { Store } from "../../store/port.js";

/** One source record: its Provenance and the current resources it lists, by `Type/id`. */
export interface SourceRecord {
  provenance: Json;
  resources: Map<string, Json>;
}

const INGEST_SOURCE = "urn:tfg:source:";

/**
 * References one Provenance query names. One: on SQLite an OR of many (target, type) pairs cost more per
 * reference as the store grew (bench/returns.ts: 2.4× per adult from 2,000 to 10,000), one at a time stays flat.
 */
export const TARGETS_PER_QUERY = 1;

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

/**
 * The ingest source records naming each of `refs` (`Type/id`), keyed by that reference; a reference several
 * records name (a child in two census years) gets each. `accept` filters Provenances before anything is read.
 */
export async function sourceRecordsOf(
  store: Store,
  refs: readonly string[],
  accept: (provenance: Json) => boolean = () => true,
): Promise<Map<string, SourceRecord[]>> {
  const provenances: Json[] = [];
  // One reference a query: an OR of many (target, type) pairs is not answered from the index as well as one is.
  for (const part of chunk([...new Set(refs)], TARGETS_PER_QUERY)) {
    for (const prov of await searchAll(store, "Provenance", [{ kind: "reference", param: "target", targets: part }])) {
      const source = (prov.meta as { source?: unknown } | undefined)?.source;
      if (typeof source === "string" && source.startsWith(INGEST_SOURCE) && accept(prov)) provenances.push(prov);
    }
  }
  const targetsOf = (p: Json) =>
    (Array.isArray(p.target) ? p.target : []).map(referenceOf).filter((t): t is string => !!t && !!splitReference(t));
  const keys = [...new Set(provenances.flatMap(targetsOf))].map(
    (t) => splitReference(t) as { resourceType: string; id: string },
  );
  const found = await store.readMany(keys);
  const wanted = new Set(refs);
  const out = new Map<string, SourceRecord[]>();
  const seen = new Set<string>();
  for (const provenance of provenances) {
    if (seen.has(provenance.id as string)) continue;
    seen.add(provenance.id as string);
    const resources = new Map<string, Json>();
    for (const t of targetsOf(provenance)) {
      const r = resourceOf(found.get(t));
      if (r) resources.set(t, r);
    }
    const record = { provenance, resources };
    for (const t of targetsOf(provenance)) if (wanted.has(t)) out.set(t, [...(out.get(t) ?? []), record]);
  }
  return out;
}

/** The resources of a record of one type. */
export const ofType = (record: SourceRecord | undefined, resourceType: string): Json[] =>
  record ? [...record.resources.values()].filter((r) => r.resourceType === resourceType) : [];
