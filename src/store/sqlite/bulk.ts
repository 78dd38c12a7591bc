/**
 * SQLite bulk sessions: a second better-sqlite3 connection to the same file holding one `BEGIN IMMEDIATE`
 * transaction. WAL mode lets the server's readers go on reading (they see the last commit, never the session's
 * writes); the server's writers wait for the write lock, asynchronously, and get a 503 after `WRITE_WAIT_MS`.
 * better-sqlite3 is synchronous, so after every write the session gives the event loop a turn.
 */
import type { BulkSession } from "../port.js";
import { sqlBulkSession } from "../sql/bulk-session.js";
import { openSqliteDatabase, sqliteExecutor, WRITE_WAIT_MS, whenNotBusy } from "./index.js";

/** A turn of the event loop (after pending I/O callbacks, so requests waiting on the server are answered). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Opens a bulk session on the SQLite database at `filename` (not `:memory:`: a second connection would be another
 * database). Waits up to `writeWaitMs` for the write lock, then throws StoreBusyError.
 */
export async function openSqliteBulk(
  filename: string,
  clock?: () => Date,
  writeWaitMs = WRITE_WAIT_MS,
): Promise<BulkSession> {
  const db = await openSqliteDatabase(filename);
  try {
    await whenNotBusy(() => db.exec("BEGIN IMMEDIATE"), writeWaitMs);
  } catch (err) {
    db.close();
    throw err;
  }
  // Inside the open transaction each batch is a savepoint (better-sqlite3 nests transactions that way).
  const inner = sqliteExecutor(db, writeWaitMs);
  const exec = {
    ...inner,
    async batch(statements: Parameters<typeof inner.batch>[0]) {
      await inner.batch(statements);
      await turn();
    },
  };
  const end = (sql: "COMMIT" | "ROLLBACK") => {
    if (!db.open) return;
    try {
      if (db.inTransaction) db.exec(sql);
    } finally {
      db.close();
    }
  };
  return sqlBulkSession(
    {
      exec,
      commit: async () => end("COMMIT"),
      rollback: async () => end("ROLLBACK"),
    },
    clock,
  );
}
