/** Storage ports: versioned FHIR resources, an append-only hash-chained log and an outbox. */

/** A stored version of a resource, as every driver returns it. */
export interface StoredVersion {
  resourceType: string;
  id: string;
  versionId: number;
  /** ISO 8601 instant with millisecond precision, in UTC. */
  lastUpdated: string;
  /** True for the version a delete wrote; `resource` and `json` are then absent. */
  deleted: boolean;
  /** The resource (stores parse it from `json` on first access). */
  resource?: Record<string, unknown>;
  /**
   * The resource's JSON exactly as stored (text, or its UTF-8 bytes), meta included: what a read
   * serves without parsing and re-serialising. Absent when only `resource` is known.
   */
  json?: string | Uint8Array;
}

/** A token search-index entry (e.g. an identifier `system|value`). */
export interface TokenIndexEntry {
  param: string;
  system: string;
  value: string;
}

/** A reference search-index entry (e.g. `subject` → `Patient/123`). */
export interface ReferenceIndexEntry {
  param: string;
  target: string;
}

/** A string search-index entry: the normalised value (accents removed, lower case) and the original. */
export interface StringIndexEntry {
  param: string;
  value: string;
  exact: string;
}

/** A date search-index entry: the instant range [low, high) the value covers (ISO 8601 UTC, ms). */
export interface DateIndexEntry {
  param: string;
  low: string;
  high: string;
}

/** Every index entry of one resource. */
export interface ResourceIndex {
  tokens: TokenIndexEntry[];
  references: ReferenceIndexEntry[];
  strings?: StringIndexEntry[];
  dates?: DateIndexEntry[];
}

/** One resource version to write. The caller computes the version number; the store guarantees it is new. */
export interface ResourceWrite extends ResourceIndex {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  /** Absent for a delete. */
  resource?: Record<string, unknown>;
  /** `JSON.stringify(resource)` when the caller already has it (it then stores exactly this text). */
  json?: string;
}

/** The index of one current resource, for reindexing. */
export interface IndexWrite extends ResourceIndex {
  resourceType: string;
  id: string;
}

/** An entry to append to a log stream (the audit trail is one stream). */
export interface LogAppend {
  stream: string;
  payload: Record<string, unknown>;
  /**
   * Append only if the stream's last entry is this sequence number (0: the stream is empty); otherwise the commit
   * throws {@link StoreConflictError} and writes nothing. A compare-and-set: of two writers expecting the same
   * head, one wins (the primary key on (stream, seq) refuses the other).
   */
  expectSeq?: number;
}

/** A message for the outbox, delivered later and retried. */
export interface OutboxMessage {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
  /** When delivery may first be tried; defaults to the commit time. */
  availableAt?: string;
}

/** Everything one commit writes: all of it or none of it. */
export interface ChangeSet {
  resources?: ResourceWrite[];
  log?: LogAppend[];
  outbox?: OutboxMessage[];
}

/** A stored log entry with its place in the hash chain. */
export interface LogEntry {
  stream: string;
  seq: number;
  recorded: string;
  payload: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** An outbox message as stored, with its delivery state. */
export interface OutboxRecord {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
  createdAt: string;
  availableAt: string;
  attempts: number;
  status: "pending" | "leased" | "delivered" | "dead";
  lastError?: string;
}

/** Date search prefixes (http://hl7.org/fhir/R4/search.html#prefix). */
export type DatePrefix = "eq" | "ne" | "gt" | "lt" | "ge" | "le" | "sa" | "eb" | "ap";

/** One date search value: a prefix and the search range [start, end) (for `ap`, already widened). */
export interface DateValue {
  prefix: DatePrefix;
  start: string;
  end: string;
}

/** The index table a parameter lives in (for `:missing`). */
export type IndexKind = "token" | "reference" | "string" | "date";

/**
 * One search criterion, already parsed and typed. Criteria are ANDed; the values of one criterion
 * are ORed (http://hl7.org/fhir/R4/search.html#combining).
 */
export type SearchCriterion =
  | { kind: "id"; values: string[] }
  /** `not`: resources with no matching value (`:not`). */
  | { kind: "token"; param: string; values: { system?: string; value?: string }[]; not?: boolean }
  | { kind: "reference"; param: string; targets: string[] }
  /** `prefix` and `contains` values are normalised (see normaliseString); `exact` values are as sent. */
  | { kind: "string"; param: string; values: string[]; match: "prefix" | "exact" | "contains" }
  /** `param` `_lastUpdated` compares the resource's lastUpdated instant. */
  | { kind: "date"; param: string; values: DateValue[] }
  /** `targetTypes`: for references, only rows pointing at these types count as a value. */
  | { kind: "missing"; param: string; index: IndexKind; missing: boolean; targetTypes?: string[] }
  | { kind: "lastUpdated"; comparator: "eq" | "gt" | "ge" | "lt" | "le"; value: string };

/** Result order: by lastUpdated or by id (ascending or descending), ties broken by id. */
export type SearchSort = "id" | "-id" | "lastUpdated" | "-lastUpdated";

/** Where a page starts: after the resource with this sort key and id (keyset paging). */
export interface SearchCursor {
  /** The sort key of the last resource of the previous page (its lastUpdated, or its id). */
  key: string;
  id: string;
}

/** A parsed search: criteria, page size, order, and where the page starts. */
export interface SearchRequest {
  resourceType: string;
  criteria: SearchCriterion[];
  count: number;
  sort: SearchSort;
  /** Keyset paging: the page starts after this resource. */
  after?: SearchCursor;
  /** Rows to skip before the page (prefer `after`: an offset shifts when data changes). */
  offset?: number;
  /** Skip counting (`total` is then 0): for callers with no use for it, such as derivers' finds. */
  withoutTotal?: boolean;
  /** Count at most this many matches (`total` is then the smaller of the two): a bounded count stops early. */
  totalUpTo?: number;
}

/** A page of results with the total number of matches. */
export interface SearchPage {
  total: number;
  versions: StoredVersion[];
  /** Search only: true when more matches follow this page. */
  more?: boolean;
}

/** Paging for history. */
export interface Page {
  count: number;
  offset: number;
}

/** A place in a type or system history: the key of the last entry a page returned (newest-first order). */
export interface HistoryCursor {
  lastUpdated: string;
  resourceType: string;
  id: string;
  versionId: number;
}

/**
 * Versions of many resources (type history, or system history when `resourceType` is absent), newest first by
 * (lastUpdated, resourceType, id, versionId). Time bounds are ISO instants like `lastUpdated`.
 */
export interface HistoryQuery {
  resourceType?: string;
  /** Only versions written at or after this instant (`_since`). */
  since?: string;
  /** Only versions written at or before this instant: fixes the set a run of pages walks and counts. */
  until?: string;
  /** Only versions that were current at some time in [start, end) (`_at`). */
  at?: { start: string; end: string };
  /** Continue after this entry (exclusive): keyset paging, so writes between pages never repeat an entry. */
  after?: HistoryCursor;
  count: number;
  /** Skip counting (`total` is then 0): later pages of a run reuse the first page's total, which `until` fixes. */
  withoutTotal?: boolean;
}

/**
 * Versioned FHIR resource storage with an append-only log and an outbox.
 * Every driver (SQLite, D1, PostgreSQL) passes the same contract suite in `tests/contract`.
 */
export interface Store {
  /** Current version of a resource (possibly a delete marker), or undefined if never written. */
  read(resourceType: string, id: string): Promise<StoredVersion | undefined>;
  /**
   * Current versions (possibly delete markers) of many resources at once, keyed `Type/id`; resources
   * never written are absent. Few queries however many keys, so a batch pays few round trips.
   */
  readMany(keys: readonly { resourceType: string; id: string }[]): Promise<Map<string, StoredVersion>>;
  /** A specific version, or undefined. */
  vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined>;
  /** Versions of one resource, newest first. */
  history(resourceType: string, id: string, page: Page): Promise<SearchPage>;
  /** Versions across resources (type or system history), newest first; `total` counts every match, ignoring `after`. */
  historyAcross(query: HistoryQuery): Promise<SearchPage>;
  /** Current, non-deleted resources of one type matching every criterion. */
  search(request: SearchRequest): Promise<SearchPage>;
  /**
   * The current, non-deleted resources of `resourceType` whose reference search parameter `param` points at each
   * of `targets` (`Type/id`), keyed by target as given, each list in id order (as a `sort: "id"` search orders
   * them); a target nothing points at is absent, and one that is not `Type/id` matches nothing. Answers what one
   * reference search per target would, in few queries however many targets (as many as the driver's bound
   * parameters allow in each), so a join over a page of resources pays for one or two round trips, not one each.
   */
  findReferencing(
    resourceType: string,
    param: string,
    targets: readonly string[],
  ): Promise<Map<string, StoredVersion[]>>;
  /** The SEARCH_INDEX_VERSION the stored index rows were built with (see src/fhir/search-reindex.ts). */
  searchIndexVersion(): Promise<number>;
  /**
   * Current, non-deleted resources of every type in (type, id) order, after `after`: for reindexing and for walks
   * over a whole type. Each call is a range read of the (type, id) key, so its cost does not grow with `after`.
   */
  scanCurrent(after: { resourceType: string; id: string } | undefined, limit: number): Promise<StoredVersion[]>;
  /** Replaces the index rows of the given current resources atomically; with `version`, records it as the index's. */
  replaceIndex(entries: IndexWrite[], version?: number): Promise<void>;
  /**
   * Writes a change set atomically. Throws {@link StoreConflictError} if any resource
   * version already exists (a concurrent writer won) or a log sequence was taken.
   */
  commit(changes: ChangeSet): Promise<void>;
  /** Log entries of a stream in order, from `afterSeq` (exclusive). */
  readLog(stream: string, afterSeq: number, limit: number): Promise<LogEntry[]>;
  /** Leases up to `limit` due outbox messages until `leaseUntil`; each claim increments attempts. */
  claimOutbox(now: string, leaseUntil: string, limit: number): Promise<OutboxRecord[]>;
  /** Marks a leased message delivered. */
  markDelivered(id: string): Promise<void>;
  /** Records a failed attempt: retried at `retryAt`, or given up (`dead`) when `retryAt` is absent. */
  markFailed(id: string, error: string, retryAt?: string): Promise<void>;
  /** Reads one outbox message (for operators and tests). */
  getOutbox(id: string): Promise<OutboxRecord | undefined>;
  /**
   * Opens a {@link BulkSession}: one database transaction on a connection of its own, for a write too big for one
   * {@link commit} (all-or-nothing ingest of a large file). Optional: a store without it (D1, SQLite `:memory:`)
   * has no interactive transaction on a second connection, and callers fall back to one bounded commit.
   * May throw {@link StoreBusyError} when another writer holds the database for longer than a write may wait.
   */
  bulk?(): Promise<BulkSession>;
  /**
   * Stores an output file (a national return's CSV or XML) under `key`, replacing any file of that key; written in
   * parts, atomically. Files are not resources: no REST route serves them, and {@link deleteFiles} removes them.
   */
  putFile(key: string, file: StoredFile): Promise<void>;
  /** The file stored under `key`, or undefined. */
  readFile(key: string): Promise<StoredFile | undefined>;
  /** Deletes the files stored under `keys`; returns how many there were. */
  deleteFiles(keys: readonly string[]): Promise<number>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** An output file kept by {@link Store.putFile}. */
export interface StoredFile {
  mediaType: string;
  bytes: Uint8Array;
}

/**
 * One open transaction for a large atomic write, on its own connection: change sets are written into it chunk by
 * chunk (so they need not be held in memory), and nothing of them is visible to other connections, or survives a
 * crash, until {@link commit}. The SQLite driver holds the write lock for the session's whole length (other
 * writers wait, then get {@link StoreBusyError}; readers go on); PostgreSQL holds row locks only.
 */
export interface BulkSession {
  /**
   * The store as this transaction sees it: reads include what was written into it so far; `commit` here is
   * {@link write}. Only for reads and writes of this session; never close it.
   */
  readonly store: Store;
  /**
   * Writes a change set into the transaction (throws {@link StoreConflictError} as {@link Store.commit} does).
   * A write that throws spoils the session: only {@link rollback} is left.
   */
  write(changes: ChangeSet): Promise<void>;
  /** Commits everything written and releases the connection. */
  commit(): Promise<void>;
  /** Discards everything written and releases the connection; safe to call twice or after a failed commit. */
  rollback(): Promise<void>;
}

/** Raised when a write loses a race: the version or log sequence it wanted is taken. */
export class StoreConflictError extends Error {
  readonly code = "STORE_CONFLICT";
  constructor(message = "A concurrent write changed the same record") {
    super(message);
    this.name = "StoreConflictError";
  }
}

/**
 * Raised when the database stayed locked by another writer (a long ingest commit in another process) for longer
 * than a write may wait: the request is answered 503 with Retry-After, never 500; nothing was written.
 */
export class StoreBusyError extends Error {
  readonly code = "STORE_BUSY";
  constructor(message = "The database is busy with another writer") {
    super(message);
    this.name = "StoreBusyError";
  }
}
