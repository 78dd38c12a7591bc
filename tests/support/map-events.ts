// Maps every record a source reader yields with that source's mapping; other events are returned as they came.
import type { MappedRecord } from "../../src/mapping/engine.js";
import { mappingFor, type SourceName } from "../../src/mapping/registry.js";
import type { SourceEvent } from "../../src/mapping/sources/events.js";

/** A one-chunk byte source for tests. */
export const textSource = (s: string | Uint8Array) =>
  (async function* () {
    yield s;
  })();

/** Mapped records and the other events (broken records, fatal problems); a header's owner event is left out. */
export async function mapAll(source: SourceName, events: AsyncIterable<SourceEvent>) {
  const mapping = mappingFor(source);
  const mapped: MappedRecord[] = [];
  const other: SourceEvent[] = [];
  for await (const e of events) {
    if (e.kind === "record") mapped.push(await mapping.map(e.record));
    else if (e.kind !== "owner") other.push(e);
  }
  return { mapped, other };
}
