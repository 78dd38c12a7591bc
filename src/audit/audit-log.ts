/**
 * Writes audit records: each AuditEvent goes into the hash-chained log stream `audit` and, in the same commit, into
 * the store as a searchable AuditEvent resource (docs/AUDIT.md). Writing never fails silently: it throws
 * {@link AuditWriteError}, and the caller refuses the read it was auditing.
 */
import { GatewayError } from "../fhir/errors.js";
import { prepareWrite } from "../fhir/resource-service.js";
import { type ResourceWrite, type Store, StoreConflictError } from "../store/port.js";

/** The log stream of the audit trail. */
export const AUDIT_STREAM = "audit";

/** How many times a lost race for the next log sequence is retried before giving up. */
export const AUDIT_WRITE_ATTEMPTS = 25;

/** 503: the audit record could not be written, so the access it recorded is refused. */
export class AuditWriteError extends GatewayError {
  constructor(readonly reason: unknown) {
    super(503, "audit-unavailable", [
      {
        severity: "error",
        code: "transient",
        diagnostics: "The audit record of this request could not be written, so the request was refused; try again",
      },
    ]);
    this.name = "AuditWriteError";
  }
}

/** At most this many queued AuditEvents go into one commit. */
export const AUDIT_GROUP_SIZE = 32;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One AuditEvent waiting for its commit. */
interface Pending {
  write: ResourceWrite;
  stored: Record<string, unknown>;
  attempts: number;
  resolve(stored: Record<string, unknown>): void;
  reject(err: AuditWriteError): void;
}

/** Per store: the AuditEvents waiting, and whether a commit is under way. */
interface Queue {
  pending: Pending[];
  running: boolean;
}

const queues = new WeakMap<Store, Queue>();

/**
 * Commits a group in one change set: every AuditEvent of it as the next log entries and as resources. A lost race
 * (another process took the next sequence number) rolls it all back and is retried after a short random pause; when
 * the attempts run out a group of several is tried one by one, so one bad event cannot sink the others.
 */
async function commitGroup(store: Store, group: Pending[]): Promise<void> {
  const attempts = Math.max(1, ...group.map((g) => g.attempts));
  for (let attempt = 1; ; attempt++) {
    try {
      await store.commit({
        resources: group.map((g) => g.write),
        log: group.map((g) => ({ stream: AUDIT_STREAM, payload: g.stored })),
      });
      for (const g of group) g.resolve(g.stored);
      return;
    } catch (err) {
      if (err instanceof StoreConflictError && attempt < attempts) {
        await pause(Math.floor(Math.random() * 4 * Math.min(attempt, 5)));
        continue;
      }
      if (group.length > 1) {
        for (const g of group) await commitGroup(store, [g]);
        return;
      }
      for (const g of group) g.reject(new AuditWriteError(err));
      return;
    }
  }
}

/** Commits what is queued for `store`, a group at a time, until nothing is left. */
async function drain(store: Store, queue: Queue): Promise<void> {
  queue.running = true;
  try {
    while (queue.pending.length > 0) await commitGroup(store, queue.pending.splice(0, AUDIT_GROUP_SIZE));
  } finally {
    queue.running = false;
  }
}

/**
 * Appends `event` (an AuditEvent with its id) to the audit stream and stores it as AuditEvent/{id} version 1, in
 * one commit; `meta.lastUpdated` is `lastUpdated` when given (a received event, audit/received.ts), else its own
 * `recorded`. Within one process appends to a store are queued and committed a group at a time (group commit: under
 * load, one commit carries every AuditEvent that arrived while the last one was written, so concurrent requests
 * never race each other for a sequence number). Another process appending at the same time makes the store raise a
 * conflict: the whole commit rolled back, it is retried until it lands. Resolves with the stored AuditEvent once
 * it is committed; rejects with {@link AuditWriteError} when it cannot be written.
 */
export function recordAudit(
  store: Store,
  event: Record<string, unknown>,
  attempts = AUDIT_WRITE_ATTEMPTS,
  lastUpdated?: string,
): Promise<Record<string, unknown>> {
  const id = event.id;
  if (event.resourceType !== "AuditEvent" || typeof id !== "string" || id === "") {
    return Promise.reject(new AuditWriteError(new Error("not an AuditEvent with an id")));
  }
  const recorded = typeof event.recorded === "string" ? event.recorded : new Date(0).toISOString();
  const write = prepareWrite("AuditEvent", id, 1, lastUpdated ?? recorded, { ...event, resourceType: "AuditEvent" });
  const stored = write.resource as Record<string, unknown>;
  write.json = JSON.stringify(stored);
  return new Promise((resolve, reject) => {
    let queue = queues.get(store);
    if (!queue) {
      queue = { pending: [], running: false };
      queues.set(store, queue);
    }
    queue.pending.push({ write, stored, attempts, resolve, reject });
    if (!queue.running) void drain(store, queue);
  });
}
