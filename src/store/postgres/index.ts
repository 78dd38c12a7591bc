/**
 * PostgreSQL drivers: node-postgres for deployments with several instances, PGlite (embedded) for tests.
 * Migrations run one per transaction under a transaction-scoped advisory lock, so instances starting at once
 * against one database take turns and a killed start rolls back.
 */
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { StoreConflictError } from "../port.js";
import { withBulk } from "../sql/bulk-session.js";
import type { SqlStatement } from "../sql/executor.js";
import {
  applyMigrations,
  type LockingExecutor,
  MIGRATION_LOCK_KEY,
  type Migration,
  type MigrationTx,
} from "../sql/migrate.js";
import { SqlStore } from "../sql/sql-store.js";
import { openPgBulk, openPgliteBulk } from "./bulk.js";

const UNIQUE_VIOLATION = "23505";
const isConflict = (err: unknown) => (err as { code?: string }).code === UNIQUE_VIOLATION;

/** The lock statement every exclusive transaction starts with (released at COMMIT or ROLLBACK, or when the session dies). */
const LOCK = `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;

/** Wraps a node-postgres pool as a {@link LockingExecutor}; batches run in one transaction on one client. */
export function pgExecutor(pool: pg.Pool): LockingExecutor {
  return {
    async exclusive(work) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query(LOCK);
        const tx: MigrationTx = {
          dialect: "postgres",
          all: async <R>(s: SqlStatement) => (await client.query(s.sql, s.parameters as unknown[])).rows as R[],
          run: async (s) => (await client.query(s.sql, s.parameters as unknown[])).rowCount ?? 0,
          exec: async (script) => {
            await client.query(script);
          },
        };
        const result = await work(tx);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    dialect: "postgres",
    maxParameters: 65535,
    async all<R>(s: SqlStatement) {
      return (await pool.query(s.sql, s.parameters as unknown[])).rows as R[];
    },
    async run(s) {
      return (await pool.query(s.sql, s.parameters as unknown[])).rowCount ?? 0;
    },
    async batch(statements) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        for (const s of statements) await client.query(s.sql, s.parameters as unknown[]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        if (isConflict(err)) throw new StoreConflictError();
        throw err;
      } finally {
        client.release();
      }
    },
    async exec(script) {
      await pool.query(script);
    },
    async close() {
      await pool.end();
    },
  };
}

/** Wraps an embedded PGlite database as a {@link LockingExecutor}. */
export function pgliteExecutor(db: PGlite): LockingExecutor {
  return {
    async exclusive(work) {
      return db.transaction(async (t) => {
        await t.query(LOCK);
        return work({
          dialect: "postgres",
          all: async <R>(s: SqlStatement) => (await t.query(s.sql, s.parameters as unknown[])).rows as R[],
          run: async (s) => (await t.query(s.sql, s.parameters as unknown[])).affectedRows ?? 0,
          exec: async (script) => {
            await t.exec(script);
          },
        });
      });
    },
    dialect: "postgres",
    maxParameters: 65535,
    async all<R>(s: SqlStatement) {
      return (await db.query(s.sql, s.parameters as unknown[])).rows as R[];
    },
    async run(s) {
      return (await db.query(s.sql, s.parameters as unknown[])).affectedRows ?? 0;
    },
    async batch(statements) {
      try {
        await db.transaction(async (tx) => {
          for (const s of statements) await tx.query(s.sql, s.parameters as unknown[]);
        });
      } catch (err) {
        if (isConflict(err)) throw new StoreConflictError();
        throw err;
      }
    },
    async exec(script) {
      await db.exec(script);
    },
    async close() {
      await db.close();
    },
  };
}

/** Connects to PostgreSQL at `url`, applies migrations and returns the store (with `Store.bulk`: `./bulk.ts`). */
export async function openPostgresStore(url: string, migrations: Migration[], clock?: () => Date): Promise<SqlStore> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const exec = pgExecutor(pool);
  await applyMigrations(exec, migrations);
  return withBulk(new SqlStore(exec, clock), () => openPgBulk(pool, clock));
}

/** Starts an in-memory embedded PostgreSQL (PGlite), applies migrations and returns the store. */
export async function openPgliteStore(migrations: Migration[], clock?: () => Date): Promise<SqlStore> {
  const { PGlite } = await import("@electric-sql/pglite");
  const db = new PGlite();
  const exec = pgliteExecutor(db);
  await applyMigrations(exec, migrations);
  return withBulk(new SqlStore(exec, clock), () => openPgliteBulk(db, clock));
}
