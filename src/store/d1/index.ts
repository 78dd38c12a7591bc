/** Cloudflare D1 driver: the store on Workers. Batches are D1's atomic `batch()`. */
import { StoreConflictError } from "../port.js";
import type { SqlExecutor, SqlStatement } from "../sql/executor.js";
import { SqlStore } from "../sql/sql-store.js";

/** The part of the D1 binding this driver uses (structurally typed, so the core needs no Workers types). */
export interface D1Like {
  prepare(sql: string): D1StatementLike;
  batch(statements: D1StatementLike[]): Promise<unknown[]>;
  exec(sql: string): Promise<unknown>;
}

/** The part of a D1 prepared statement this driver uses. */
export interface D1StatementLike {
  bind(...values: unknown[]): D1StatementLike;
  all<T = unknown>(): Promise<{ results: T[] }>;
  run(): Promise<{ meta: { changes?: number } }>;
}

const isConflict = (err: unknown) =>
  /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(String((err as Error)?.message));

/** Wraps a D1 binding as a {@link SqlExecutor}. D1 binds at most 100 parameters per statement. */
export function d1Executor(db: D1Like): SqlExecutor {
  const prep = (s: SqlStatement) => db.prepare(s.sql).bind(...(s.parameters as unknown[]));
  return {
    dialect: "sqlite",
    maxParameters: 100,
    async all<R>(s: SqlStatement) {
      return (await prep(s).all<R>()).results;
    },
    async run(s) {
      return (await prep(s).run()).meta.changes ?? 0;
    },
    async batch(statements) {
      try {
        await db.batch(statements.map(prep));
      } catch (err) {
        if (isConflict(err)) throw new StoreConflictError();
        throw err;
      }
    },
    async exec(script) {
      for (const stmt of script.split(/;\s*(?:\n|$)/)) {
        const sql = stmt
          .split("\n")
          .filter((l) => !l.trim().startsWith("--"))
          .join(" ")
          .trim();
        if (sql) await db.prepare(sql).run();
      }
    },
    async close() {},
  };
}

/** A store on a D1 binding. Migrations are applied by wrangler (or `applyD1Migrations` in tests). */
export function d1Store(db: D1Like, clock?: () => Date): SqlStore {
  return new SqlStore(d1Executor(db), clock);
}
