/** What this store last wrote to the search index for each resource, so an update can leave unchanged rows alone. */
import type {
  DateIndexEntry,
  IndexKind,
  ReferenceIndexEntry,
  ResourceIndex,
  StringIndexEntry,
  TokenIndexEntry,
} from "../port.js";

/** Each kind's index entries of one resource version, in the order {@link INDEX_KINDS} lists the kinds. */
export type IndexPrints = readonly [
  readonly TokenIndexEntry[],
  readonly ReferenceIndexEntry[],
  readonly StringIndexEntry[],
  readonly DateIndexEntry[],
];

/** The kinds of index row, in the order of {@link IndexPrints}. */
export const INDEX_KINDS = ["token", "reference", "string", "date"] as const satisfies readonly IndexKind[];

/** Every kind empty: the index of a resource's first version before it is written, or of a deletion. */
export const EMPTY_PRINTS: IndexPrints = [[], [], [], []];

/** The entries of `index` per kind (the arrays themselves: the write's entries are not changed after its commit). */
export function printIndex(index: ResourceIndex): IndexPrints {
  return [index.tokens, index.references, index.strings ?? [], index.dates ?? []];
}

/** The fields of each kind's entries, in the order they are compared. */
const FIELDS: readonly (readonly string[])[] = [
  ["param", "system", "value"],
  ["param", "target"],
  ["param", "value", "exact"],
  ["param", "low", "high"],
];

/**
 * True when kind `k` of `a` and `b` holds the same entries in the same order: equal entries make equal rows (the
 * rows are a pure function of the entries), so that kind needs neither its rows deleted nor inserted again.
 */
export function samePrint(a: IndexPrints, b: IndexPrints, k: number): boolean {
  const x = a[k] as unknown as readonly Record<string, unknown>[];
  const y = b[k] as unknown as readonly Record<string, unknown>[];
  if (x === y) return true;
  if (x.length !== y.length) return false;
  const fields = FIELDS[k] as readonly string[];
  for (let i = 0; i < x.length; i++) {
    const e = x[i] as Record<string, unknown>;
    const f = y[i] as Record<string, unknown>;
    for (const name of fields) if (e[name] !== f[name]) return false;
  }
  return true;
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
