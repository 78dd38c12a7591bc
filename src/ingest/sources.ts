/** Which reader and mapping each source uses, and which organisation type may send it. */
import type { Mapping } from "../mapping/engine.js";
import type { ByteSource } from "../mapping/parsers/csv.js";
import { mappingFor, type SourceName } from "../mapping/registry.js";
import type { SourceEvent } from "../mapping/sources/events.js";
import { ndtmsRecords } from "../mapping/sources/ndtms.js";

/** How to read one source. */
export interface SourceDefinition {
  name: SourceName;
  /** Organisation type allowed to send it (DOMAIN.md §4 actors). */
  senderOrgType: "mh-trust" | "drug-alcohol-service" | "la-childrens-services";
  /** Media types accepted on POST /ingest/{source}. */
  mediaTypes: string[];
  read(body: ByteSource, mediaType: string): AsyncIterable<SourceEvent>;
  mapping(): Mapping;
}

/** The sources, by name. */
export const SOURCES: Partial<Record<SourceName, SourceDefinition>> = {
  ndtms: {
    name: "ndtms",
    senderOrgType: "drug-alcohol-service",
    mediaTypes: ["text/csv", "application/csv"],
    read: (body) => ndtmsRecords(body),
    mapping: () => mappingFor("ndtms"),
  },
};
