/**
 * The census records of one LA and collection year: the LA's CIN children (Patients with its LAchildID system),
 * a page at a time, each with the ingest record of that year's census (Provenance `…/<year>/<ReferenceDate>`).
 */
import { LOCAL_ID } from "../../fhir/canonical.js";
import type { Store } from "../../store/port.js";
import { type CensusChild, censusChild } from "./cin-model.js";
import { censusYear } from "./cin-rules.js";
import { pagedSearch } from "./paged.js";
import { type SourceRecord, sourceRecordKey, sourceRecordsOf } from "./source-records.js";

/** One child of the census with the record it came from. */
export interface CensusEntry {
  patient: string;
  record: SourceRecord;
  child: CensusChild;
}

/** True when a CIN source record key (`la/child/year/referenceDate`) is `year`'s census of `la`. */
export function isCensusRecordOf(key: string | undefined, la: string, year: number): boolean {
  if (!key) return false;
  const parts = key.split("/");
  return parts[0] === la && (parts.at(-1) === censusYear(year).referenceDate || parts.at(-2) === String(year));
}

/** Batches of the LA's children with a census record for `year` (children without one are skipped). */
export async function* censusBatches(
  store: Store,
  la: string,
  year: number,
): AsyncGenerator<{ read: number; entries: CensusEntry[] }> {
  const criteria = [{ kind: "token" as const, param: "identifier", values: [{ system: LOCAL_ID.cinChild(la) }] }];
  for await (const patients of pagedSearch(store, "Patient", criteria)) {
    const refs = patients.map((p) => `Patient/${p.id}`);
    const records = await sourceRecordsOf(store, refs, (prov) => isCensusRecordOf(sourceRecordKey(prov), la, year));
    const entries: CensusEntry[] = [];
    for (const patient of refs) {
      const record = records.get(patient)?.[0];
      const child = record && censusChild(la, record);
      if (record && child) entries.push({ patient, record, child });
    }
    yield { read: patients.length, entries };
  }
}
