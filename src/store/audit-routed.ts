/**
 * A store whose audit trail lives in a second store (docs/AUDIT.md): AuditEvent resources and the `audit` log stream
 * go to `audit`, everything else to `main`. On SQLite each is its own file, so a read's audit entry never waits for
 * the write lock a long ingest holds on the data (SQLite has one writer per file), and the data's writers never wait
 * for the audit. Each commit goes wholly to one of the two: a change set mixing audit and data is refused, since no
 * transaction spans two files.
 */
import type {
  BulkSession,
  ChangeSet,
  HistoryQuery,
  IndexWrite,
  LogEntry,
  OutboxRecord,
  Page,
  SearchPage,
  SearchRequest,
  Store,
  StoredFile,
  StoredVersion,
} from "./port.js";

/** Resource types kept in the audit store. */
export const AUDIT_RESOURCE_TYPES: ReadonlySet<string> = new Set(["AuditEvent"]);
/** Log streams kept in the audit store. */
export const AUDIT_LOG_STREAMS: ReadonlySet<string> = new Set(["audit"]);

/** `main` for data, `audit` for the audit trail. */
export function auditRoutedStore(main: Store, audit: Store): Store {
  const pick = (resourceType: string | undefined) =>
    resourceType !== undefined && AUDIT_RESOURCE_TYPES.has(resourceType) ? audit : main;
  const routed: Store = {
    read: (type, id) => pick(type).read(type, id),
    async readMany(keys) {
      const auditKeys = keys.filter((k) => AUDIT_RESOURCE_TYPES.has(k.resourceType));
      const mainKeys = keys.filter((k) => !AUDIT_RESOURCE_TYPES.has(k.resourceType));
      const [a, m] = await Promise.all([
        auditKeys.length > 0 ? audit.readMany(auditKeys) : new Map<string, StoredVersion>(),
        mainKeys.length > 0 ? main.readMany(mainKeys) : new Map<string, StoredVersion>(),
      ]);
      for (const [k, v] of a) m.set(k, v);
      return m;
    },
    vread: (type, id, versionId) => pick(type).vread(type, id, versionId),
    history: (type: string, id: string, page: Page) => pick(type).history(type, id, page),
    // System history (no type) is the data's: AuditEvents are read through their own gate (docs/AUDIT.md).
    historyAcross: (query: HistoryQuery): Promise<SearchPage> => pick(query.resourceType).historyAcross(query),
    search: (request: SearchRequest) => pick(request.resourceType).search(request),
    findReferencing: (type, param, targets) => pick(type).findReferencing(type, param, targets),
    searchIndexVersion: () => main.searchIndexVersion(),
    // Reindexing walks the data; the audit store is reindexed on its own (it is opened and migrated separately).
    scanCurrent: (after, limit) => main.scanCurrent(after, limit),
    async replaceIndex(entries: IndexWrite[], version?: number) {
      const auditEntries = entries.filter((e) => AUDIT_RESOURCE_TYPES.has(e.resourceType));
      const mainEntries = entries.filter((e) => !AUDIT_RESOURCE_TYPES.has(e.resourceType));
      if (auditEntries.length > 0) await audit.replaceIndex(auditEntries);
      await main.replaceIndex(mainEntries, version);
    },
    commit(changes: ChangeSet) {
      const resources = changes.resources ?? [];
      const log = changes.log ?? [];
      const auditParts =
        resources.filter((r) => AUDIT_RESOURCE_TYPES.has(r.resourceType)).length +
        log.filter((l) => AUDIT_LOG_STREAMS.has(l.stream)).length;
      if (auditParts === 0) return main.commit(changes);
      if (auditParts === resources.length + log.length && (changes.outbox ?? []).length === 0)
        return audit.commit(changes);
      return Promise.reject(new Error("A change set may not mix the audit trail with other data"));
    },
    readLog: (stream: string, afterSeq: number, limit: number): Promise<LogEntry[]> =>
      (AUDIT_LOG_STREAMS.has(stream) ? audit : main).readLog(stream, afterSeq, limit),
    claimOutbox: (now, leaseUntil, limit): Promise<OutboxRecord[]> => main.claimOutbox(now, leaseUntil, limit),
    markDelivered: (id) => main.markDelivered(id),
    markFailed: (id, error, retryAt) => main.markFailed(id, error, retryAt),
    getOutbox: (id) => main.getOutbox(id),
    putFile: (key: string, file: StoredFile) => main.putFile(key, file),
    readFile: (key) => main.readFile(key),
    deleteFiles: (keys) => main.deleteFiles(keys),
    async close() {
      await Promise.all([main.close(), audit.close()]);
    },
  };
  if (main.bulk) {
    const bulk = main.bulk.bind(main);
    routed.bulk = async (): Promise<BulkSession> => {
      const session = await bulk();
      // The session's store sees the transaction's data and the audit store as it is.
      return {
        ...session,
        store: auditRoutedStore(session.store, withoutClose(audit)),
        write: session.write.bind(session),
        commit: session.commit.bind(session),
        rollback: session.rollback.bind(session),
      };
    };
  }
  return routed;
}

/** `store` with a `close` that leaves it open (for a view that does not own it). */
function withoutClose(store: Store): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "close") return () => Promise.resolve();
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
