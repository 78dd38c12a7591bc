/** A {@link BulkSession} over any SQL driver: the shared SQL store on an executor bound to one open transaction. */
import type { BulkSession, ChangeSet, Store } from "../port.js";
import type { SqlExecutor } from "./executor.js";
import { SqlStore } from "./sql-store.js";

/**
 * What a driver hands over for a bulk session: an executor whose statements all run inside one open transaction
 * on a connection of its own (its `batch` runs them in order inside that transaction, never a transaction of its
 * own), and how that transaction ends. Both ends release the connection; `rollback` must be safe to call twice.
 */
export interface OpenTransaction {
  exec: SqlExecutor;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** The store inside the transaction: its commit writes into it (see {@link BulkSession.write}); close does nothing. */
class TransactionStore extends SqlStore {
  spoiled = false;

  override async commit(changes: ChangeSet): Promise<void> {
    if (this.spoiled) throw new Error("This bulk session failed a write; it can only be rolled back");
    try {
      await super.commit(changes);
    } catch (err) {
      this.spoiled = true;
      throw err;
    }
  }

  override async close(): Promise<void> {}
}

/** Wraps a driver's open transaction as a {@link BulkSession}. */
export function sqlBulkSession(tx: OpenTransaction, clock?: () => Date): BulkSession {
  const store = new TransactionStore(tx.exec, clock);
  let open = true;
  return {
    store,
    write: (changes) => {
      if (!open) return Promise.reject(new Error("This bulk session has ended"));
      return store.commit(changes);
    },
    async commit() {
      if (!open) throw new Error("This bulk session has ended");
      if (store.spoiled) throw new Error("This bulk session failed a write; it can only be rolled back");
      open = false;
      try {
        await tx.commit();
      } catch (err) {
        await tx.rollback().catch(() => undefined);
        throw err;
      }
    },
    async rollback() {
      if (!open) return tx.rollback();
      open = false;
      await tx.rollback();
    },
  };
}

/** `store` with the {@link Store.bulk} facility that `open` provides (what each driver's factory returns). */
export function withBulk<S extends Store>(
  store: S,
  open: () => Promise<BulkSession>,
): S & Required<Pick<Store, "bulk">> {
  return Object.assign(store, { bulk: open });
}
