/**
 * SQLite driver (better-sqlite3): the embedded default store on Node, a file under ./data. WAL mode (readers
 * never wait for a writer); writes take the write lock at BEGIN (`BEGIN IMMEDIATE`), and when another process
 * holds it (a CLI ingest beside the server) they wait for it asynchronously, so the event loop keeps serving
 * reads instead of blocking in SQLite's busy handler.
 */
import Database from "better-sqlite3";
import { StoreBusyError, StoreConflictError } from "../port.js";
import { withBulk } from "../sql/bulk-session.js";
import type { SqlStatement } from "../sql/executor.js";
import { applyMigrations, type LockingExecutor, type Migration, type MigrationTx } from "../sql/migrate.js";
import { SqlStore } from "../sql/sql-store.js";
import { openSqliteBulk } from "./bulk.js";

/** How long one attempt may block the event loop in SQLite's busy handler, in milliseconds. */
export const BUSY_TIMEOUT_MS = 50;
/** How long a request's write waits in all for another connection's write lock before it is a 503. */
export const WRITE_WAIT_MS = 10_000;
/** How long a start-up migration waits for another instance's (a first migration of a big database can be long). */
const MIGRATION_WAIT_MS = 300_000;

function isConflict(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}

const isBusy = (err: unknown) => /^SQLITE_(BUSY|LOCKED)/.test((err as { code?: string }).code ?? "");

/**
 * Runs `attempt` until it does not fail with SQLITE_BUSY, waiting asynchronously between tries; after `waitMs`
 * it gives up with {@link StoreBusyError} (a 503, not a 500). The first try runs at once, synchronously: a
 * statement that finds the database free (nearly always) pays for no timers and no extra promises.
 */
export function whenNotBusy<T>(attempt: () => T | Promise<T>, waitMs = WRITE_WAIT_MS): Promise<T> {
  const deadline = Date.now() + waitMs;
  try {
    return Promise.resolve(attempt()).catch((err: unknown) => {
      if (!isBusy(err)) throw err;
      return retryWhenNotBusy(attempt, deadline);
    });
  } catch (err) {
    if (!isBusy(err)) return Promise.reject(err);
    return retryWhenNotBusy(attempt, deadline);
  }
}

async function retryWhenNotBusy<T>(attempt: () => T | Promise<T>, deadline: number): Promise<T> {
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    if (Date.now() + pause > deadline) throw new StoreBusyError();
    await new Promise((resolve) => setTimeout(resolve, pause));
    try {
      return await attempt();
    } catch (err) {
      if (!isBusy(err)) throw err;
    }
  }
}

/** Wraps a better-sqlite3 connection as a {@link LockingExecutor}; `writeWaitMs` bounds a write's wait for the lock. */
export function sqliteExecutor(db: Database.Database, writeWaitMs = WRITE_WAIT_MS): LockingExecutor {
  const params = (s: SqlStatement) => s.parameters as unknown[];
  // Prepared statements are reused: the store issues a small, fixed set of SQL shapes.
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= 500) cache.delete(cache.keys().next().value as string);
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  const runBatch = db.transaction((statements: SqlStatement[]) => {
    for (const s of statements) prepare(s.sql).run(...params(s));
  });
  const allRows = <R>(s: SqlStatement) => prepare(s.sql).all(...params(s)) as R[];
  const changes = (s: SqlStatement) => prepare(s.sql).run(...params(s)).changes;
  const tx: MigrationTx = {
    dialect: "sqlite",
    async all<R>(s: SqlStatement) {
      return allRows<R>(s);
    },
    async run(s) {
      return changes(s);
    },
    async exec(script) {
      db.exec(script);
    },
  };
  return {
    dialect: "sqlite",
    maxParameters: 32766,
    // Outside a transaction a statement that writes (an outbox lease) needs the write lock too.
    all: <R>(s: SqlStatement) => whenNotBusy(() => allRows<R>(s), writeWaitMs),
    run: (s) => whenNotBusy(() => changes(s), writeWaitMs),
    exec: tx.exec,
    batch(statements) {
      // IMMEDIATE: the write lock is taken at BEGIN, where waiting for it is safe, never mid-transaction.
      return whenNotBusy(() => {
        try {
          runBatch.immediate(statements);
        } catch (err) {
          throw isConflict(err) ? new StoreConflictError() : err;
        }
      }, writeWaitMs);
    },
    async exclusive(work) {
      await whenNotBusy(() => db.exec("BEGIN IMMEDIATE"), MIGRATION_WAIT_MS);
      try {
        const result = await work(tx);
        db.exec("COMMIT");
        return result;
      } catch (err) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw err;
      }
    },
    async close() {
      db.close();
    },
  };
}

/**
 * Opens (creating if needed) a SQLite database at `filename` with the store's settings: the busy timeout first
 * (so switching to WAL waits for a concurrent opener), then WAL and `synchronous = NORMAL`.
 */
export async function openSqliteDatabase(filename: string): Promise<Database.Database> {
  const db = new Database(filename);
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  await whenNotBusy(() => db.pragma("journal_mode = WAL"), MIGRATION_WAIT_MS);
  db.pragma("synchronous = NORMAL");
  return db;
}

/**
 * Opens (creating if needed) a SQLite store at `filename` (`:memory:` for tests) and applies migrations. A store on
 * a file has `Store.bulk` (a second connection: `./bulk.ts`); an in-memory one has not.
 */
export async function openSqliteStore(
  filename: string,
  migrations: Migration[],
  clock?: () => Date,
  writeWaitMs = WRITE_WAIT_MS,
): Promise<SqlStore> {
  const exec = sqliteExecutor(await openSqliteDatabase(filename), writeWaitMs);
  await applyMigrations(exec, migrations);
  const store = new SqlStore(exec, clock);
  if (filename === ":memory:" || filename === "") return store;
  return withBulk(store, () => openSqliteBulk(filename, clock, writeWaitMs));
}
