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

/**
 * The ingest source records naming each of `refs` (`Type/id`), keyed by that reference; a reference several
 * records name (a child in two census years) gets each, in the order of `refs` and then of Provenance id.
 * `accept` filters Provenances before anything is read. `known` holds current resources the caller has already
 * read (the page of episodes it walks), by `Type/id`: those are not read again.
 */
export async function sourceRecordsOf(
  store: Store,
  refs: readonly string[],
  accept: (provenance: Json) => boolean = () => true,
  known: ReadonlyMap<string, Json> = new Map(),
): Promise<Map<string, SourceRecord[]>> {
  const unique = [...new Set(refs)];
  const naming = await store.findReferencing("Provenance", "target", unique);
  const provenances: Json[] = [];
  for (const ref of unique) {
    for (const version of naming.get(ref) ?? []) {
      const prov = resourceOf(version);
      const source = (prov?.meta as { source?: unknown } | undefined)?.source;
      if (prov && typeof source === "string" && source.startsWith(INGEST_SOURCE) && accept(prov))
        provenances.push(prov);
    }
  }
  const targetsOf = (p: Json) =>
    (Array.isArray(p.target) ? p.target : []).map(referenceOf).filter((t): t is string => !!t && !!splitReference(t));
  const keys = [...new Set(provenances.flatMap(targetsOf))]
    .filter((t) => !known.has(t))
    .map((t) => splitReference(t) as { resourceType: string; id: string });
  const found = keys.length > 0 ? await store.readMany(keys) : new Map();
  const wanted = new Set(refs);
  const out = new Map<string, SourceRecord[]>();
  const seen = new Set<string>();
  for (const provenance of provenances) {
    if (seen.has(provenance.id as string)) continue;
    seen.add(provenance.id as string);
    const resources = new Map<string, Json>();
    for (const t of targetsOf(provenance)) {
      const r = known.get(t) ?? resourceOf(found.get(t));
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
