/**
 * PostgreSQL bulk sessions. node-postgres: a pool client of its own holding `BEGIN … COMMIT` (READ COMMITTED: other
 * connections go on reading and writing; a write to a row the session wrote waits for its end). PGlite has one
 * connection: the session is its `transaction()`, and PGlite runs every other query after it ends (it serialises
 * them behind the open transaction), so on PGlite a bulk session makes the rest of the store wait.
 */
import type { PGlite, Transaction } from "@electric-sql/pglite";
import type pg from "pg";
import { type BulkSession, StoreConflictError } from "../port.js";
import { sqlBulkSession } from "../sql/bulk-session.js";
import type { SqlExecutor, SqlStatement } from "../sql/executor.js";

const UNIQUE_VIOLATION = "23505";
const conflictOr = (err: unknown) =>
  (err as { code?: string }).code === UNIQUE_VIOLATION ? new StoreConflictError() : err;

/** An executor over one connection's open transaction: `batch` runs its statements in order, inside it. */
function inTransaction(
  query: (sql: string, parameters?: unknown[]) => Promise<{ rows: unknown[]; count: number }>,
): SqlExecutor {
  const params = (s: SqlStatement) => s.parameters as unknown[];
  return {
    dialect: "postgres",
    maxParameters: 65535,
    all: async <R>(s: SqlStatement) => (await query(s.sql, params(s))).rows as R[],
    run: async (s) => (await query(s.sql, params(s))).count,
    async batch(statements) {
      try {
        for (const s of statements) await query(s.sql, params(s));
      } catch (err) {
        throw conflictOr(err);
      }
    },
    async exec(script) {
      await query(script);
    },
    async close() {},
  };
}

/** Opens a bulk session on a dedicated client of `pool`. */
export async function openPgBulk(pool: pg.Pool, clock?: () => Date): Promise<BulkSession> {
  const client = await pool.connect();
  let released = false;
  const release = (broken?: Error) => {
    if (released) return;
    released = true;
    client.release(broken);
  };
  try {
    await client.query("BEGIN");
  } catch (err) {
    release(err as Error);
    throw err;
  }
  const exec = inTransaction(async (sql, parameters) => {
    const r = await client.query(sql, parameters);
    return { rows: r.rows, count: r.rowCount ?? 0 };
  });
  return sqlBulkSession(
    {
      exec,
      async commit() {
        if (released) throw new Error("This bulk session has ended");
        try {
          await client.query("COMMIT");
        } catch (err) {
          release(err as Error);
          throw err;
        }
        release();
      },
      async rollback() {
        if (released) return;
        try {
          await client.query("ROLLBACK");
          release();
        } catch (err) {
          // A connection that cannot roll back is dropped: PostgreSQL rolls back a session that ends.
          release(err as Error);
        }
      },
    },
    clock,
  );
}

/** Opens a bulk session on an embedded PGlite database: its transaction, held open until commit or rollback. */
export function openPgliteBulk(db: PGlite, clock?: () => Date): Promise<BulkSession> {
  return new Promise<BulkSession>((opened, failed) => {
    let end: (commit: boolean) => void = () => undefined;
    const ended = new Promise<boolean>((resolve) => {
      end = resolve;
    });
    let started = false;
    const done = db.transaction(async (tx: Transaction) => {
      started = true;
      const exec = inTransaction(async (sql, parameters) => {
        const r = parameters === undefined ? (await tx.exec(sql)).at(-1) : await tx.query(sql, parameters);
        return { rows: r?.rows ?? [], count: r?.affectedRows ?? 0 };
      });
      opened(
        sqlBulkSession(
          {
            exec,
            async commit() {
              end(true);
              await done;
            },
            async rollback() {
              end(false);
              await done.catch(() => undefined);
            },
          },
          clock,
        ),
      );
      if (!(await ended) && !tx.closed) await tx.rollback();
    });
    done.catch((err) => {
      if (!started) failed(err);
    });
  });
}
