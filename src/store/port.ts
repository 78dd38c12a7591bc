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

/** One resource version to write. The caller computes the version number; the store guarantees it is new. */
export interface ResourceWrite {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  /** Absent for a delete. */
  resource?: Record<string, unknown>;
  /** `JSON.stringify(resource)` when the caller already has it (it then stores exactly this text). */
  json?: string;
  tokens: TokenIndexEntry[];
  references: ReferenceIndexEntry[];
}

/** An entry to append to a log stream (the audit trail is one stream). */
export interface LogAppend {
  stream: string;
  payload: Record<string, unknown>;
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

/** One search criterion, already parsed and typed. Criteria are ANDed. */
export type SearchCriterion =
  | { kind: "id"; values: string[] }
  | { kind: "token"; param: string; values: { system?: string; value?: string }[] }
  | { kind: "reference"; param: string; targets: string[] }
  | { kind: "lastUpdated"; comparator: "eq" | "gt" | "ge" | "lt" | "le"; value: string };

/** A parsed search: criteria, page size and offset, ordered by lastUpdated then id. */
export interface SearchRequest {
  resourceType: string;
  criteria: SearchCriterion[];
  count: number;
  offset: number;
  sort: "lastUpdated" | "-lastUpdated";
}

/** A page of results with the total number of matches. */
export interface SearchPage {
  total: number;
  versions: StoredVersion[];
}

/** Paging for history. */
export interface Page {
  count: number;
  offset: number;
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
  /** Current, non-deleted resources of one type matching every criterion. */
  search(request: SearchRequest): Promise<SearchPage>;
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
  /** Releases connections. */
  close(): Promise<void>;
}

/** Raised when a write loses a race: the version or log sequence it wanted is taken. */
export class StoreConflictError extends Error {
  readonly code = "STORE_CONFLICT";
  constructor(message = "A concurrent write changed the same record") {
    super(message);
    this.name = "StoreConflictError";
  }
}
