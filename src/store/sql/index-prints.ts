/** What this store last wrote to the search index for each resource, so an update can leave unchanged rows alone. */
import type { IndexKind, ResourceIndex } from "../port.js";

/** Each kind's index entries of one resource version as text, in the order {@link INDEX_KINDS} lists the kinds. */
export type IndexPrints = readonly [string, string, string, string];

/** The kinds of index row, in the order of {@link IndexPrints}. */
export const INDEX_KINDS = ["token", "reference", "string", "date"] as const satisfies readonly IndexKind[];

/** The print of a kind with no rows. */
export const NO_ROWS = "[]";

/** Every kind empty: the index of a resource's first version before it is written, or of a deletion. */
export const EMPTY_PRINTS: IndexPrints = [NO_ROWS, NO_ROWS, NO_ROWS, NO_ROWS];

/**
 * The entries of `index` per kind as text: equal prints mean equal rows (the rows are a pure function of the
 * entries), so a kind whose print did not change needs neither its rows deleted nor inserted again.
 */
export function printIndex(index: ResourceIndex): IndexPrints {
  return [
    JSON.stringify(index.tokens),
    JSON.stringify(index.references),
    JSON.stringify(index.strings ?? []),
    JSON.stringify(index.dates ?? []),
  ];
}

/**
 * The prints of the version of each resource this store last committed, least recently written dropped first.
 * An entry is used only for the version it names: a write of version v compares with the entry for v − 1, which
 * holds exactly when this store wrote v − 1 (a version is written once, by one writer, so rows a different
 * process wrote belong to a version this store has no entry for). Cleared when the index is rebuilt.
 */
export class IndexPrintCache {
  private readonly entries = new Map<string, { versionId: number; prints: IndexPrints }>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The prints of `resourceType/id` at `versionId` when this store wrote that version, else undefined. */
  get(resourceType: string, id: string, versionId: number): IndexPrints | undefined {
    const e = this.entries.get(`${resourceType}/${id}`);
    return e && e.versionId === versionId ? e.prints : undefined;
  }

  /** Records the prints of a version just committed. */
  set(resourceType: string, id: string, versionId: number, prints: IndexPrints): void {
    const key = `${resourceType}/${id}`;
    this.entries.delete(key);
    this.entries.set(key, { versionId, prints });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Forgets a resource (its commit failed, so what the index holds for it is not known here). */
  delete(resourceType: string, id: string): void {
    this.entries.delete(`${resourceType}/${id}`);
  }

  /** Forgets everything (the index was rebuilt). */
  clear(): void {
    this.entries.clear();
  }
}
