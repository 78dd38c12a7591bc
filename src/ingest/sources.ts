/** Which reader and mapping each source uses, which organisation type may send it, and which field names a record's owner. */
import type { Mapping } from "../mapping/engine.js";
import type { ByteSource } from "../mapping/parsers/csv.js";
import { mappingFor, type SourceName } from "../mapping/registry.js";
import { cinRecords } from "../mapping/sources/cin.js";
import { cpaCsvRecords, cpaJsonRecords, cpaNdjsonRecords } from "../mapping/sources/cpa.js";
import type { SourceEvent } from "../mapping/sources/events.js";
import { ndtmsRecords } from "../mapping/sources/ndtms.js";
import { ssdCsvRecords, ssdJsonRecords } from "../mapping/sources/ssd.js";

/** A file to ingest: one stream in a media type, or a set of named CSV tables (the CSV forms of CPA and SSD). */
export type IngestInput =
  | { kind: "stream"; body: ByteSource; mediaType: string }
  | { kind: "tables"; tables: Record<string, ByteSource> };

/** How to read one source. */
export interface SourceDefinition {
  name: SourceName;
  /** Organisation type allowed to send it (DOMAIN.md §4 actors). */
  senderOrgType: "mh-trust" | "drug-alcohol-service" | "la-childrens-services";
  /** The record field naming the organisation that owns the record; the sender must be it or its authorised submitter. */
  ownerField: string;
  /** Media types accepted on POST /ingest/{source}; multipart/form-data means named CSV tables. */
  mediaTypes: string[];
  read(input: IngestInput): AsyncIterable<SourceEvent>;
  mapping(): Mapping;
}

async function* unsupported(what: string): AsyncGenerator<SourceEvent> {
  yield { kind: "fatal", issue: { severity: "fatal", code: "not-supported", diagnostics: what } };
}

/** The sources, by name. */
export const SOURCES: Partial<Record<SourceName, SourceDefinition>> = {
  ndtms: {
    name: "ndtms",
    senderOrgType: "drug-alcohol-service",
    ownerField: "AGNCY",
    mediaTypes: ["text/csv", "application/csv"],
    read: (input) => (input.kind === "stream" ? ndtmsRecords(input.body) : unsupported("NDTMS is one CSV file")),
    mapping: () => mappingFor("ndtms"),
  },
  cin: {
    name: "cin",
    senderOrgType: "la-childrens-services",
    ownerField: "LA",
    mediaTypes: ["application/xml", "text/xml"],
    read: (input) =>
      input.kind === "stream" ? cinRecords(input.body) : unsupported("A CIN census return is one XML file"),
    mapping: () => mappingFor("cin"),
  },
  cpa: {
    name: "cpa",
    senderOrgType: "mh-trust",
    ownerField: "OrgIDProv",
    mediaTypes: ["application/json", "application/x-ndjson", "application/ndjson", "multipart/form-data"],
    read: (input) => {
      if (input.kind === "tables") return cpaCsvRecords(input.tables);
      return input.mediaType === "application/json" ? cpaJsonRecords(input.body) : cpaNdjsonRecords(input.body);
    },
    mapping: () => mappingFor("cpa"),
  },
  ssd: {
    name: "ssd",
    senderOrgType: "la-childrens-services",
    ownerField: "la_code",
    mediaTypes: ["application/json", "multipart/form-data"],
    read: (input) => (input.kind === "tables" ? ssdCsvRecords(input.tables) : ssdJsonRecords(input.body)),
    mapping: () => mappingFor("ssd"),
  },
};
