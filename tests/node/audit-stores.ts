// Stores for the audit tests, each with a raw SQL handle to tamper with its rows: SQLite (a file), and PostgreSQL
// (the server at TFG_TEST_POSTGRES_URL when set, else embedded PGlite).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openPostgresStore, pgliteExecutor } from "../../src/store/postgres/index.js";
import { applyMigrations } from "../../src/store/sql/migrate.js";
import { SqlStore } from "../../src/store/sql/sql-store.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { freshSchema } from "../support/pg-schema.js";

const migrations = loadMigrations();

/** Drops migration 0007's triggers on SQLite (and D1). */
export const SQLITE_UNGUARD = "DROP TRIGGER log_entries_no_update; DROP TRIGGER log_entries_no_delete;";
const POSTGRES_UNGUARD = "DROP TRIGGER log_entries_append_only ON log_entries;";

/** A store and a way to run raw SQL (`?`-free: tests interpolate constants) against the same database. */
export interface TamperableStore {
  store: Store;
  /** Runs a statement against the store's database, outside the store. */
  sql(text: string): Promise<void>;
  /** A second store over the same database (as another process or instance would have), closed with this one. */
  second(): Promise<Store>;
  /** The SQL that drops migration 0007's append-only triggers, as a database owner could. */
  unguard: string;
  /** The SQLite file (SQLite only), for the CLI. */
  file?: string;
  close(): Promise<void>;
}

async function sqliteFile(): Promise<TamperableStore> {
  const file = join(mkdtempSync(join(tmpdir(), "tfg-audit-")), "audit.db");
  const store = await openSqliteStore(file, migrations);
  const others: Store[] = [];
  return {
    store,
    file,
    unguard: SQLITE_UNGUARD,
    async second() {
      const other = await openSqliteStore(file, migrations);
      others.push(other);
      return other;
    },
    async sql(text) {
      const db = new Database(file);
      try {
        db.exec(text);
      } finally {
        db.close();
      }
    },
    async close() {
      for (const o of others) await o.close();
      await store.close();
    },
  };
}

async function postgresServer(url: string): Promise<TamperableStore> {
  const schema = await freshSchema(url, "tfg_audit");
  const store = await openPostgresStore(schema.url, migrations);
  const others: Store[] = [];
  return {
    store,
    unguard: POSTGRES_UNGUARD,
    async second() {
      const other = await openPostgresStore(schema.url, migrations);
      others.push(other);
      return other;
    },
    sql: (text) => schema.admin(text, true),
    async close() {
      for (const o of others) await o.close();
      await store.close();
      await schema.drop();
    },
  };
}

async function pglite(): Promise<TamperableStore> {
  const { PGlite } = await import("@electric-sql/pglite");
  const db = new PGlite();
  await applyMigrations(pgliteExecutor(db), migrations);
  const store = new SqlStore(pgliteExecutor(db));
  return {
    store,
    unguard: POSTGRES_UNGUARD,
    second: async () => new SqlStore(pgliteExecutor(db)),
    async sql(text) {
      await db.exec(text);
    },
    close: () => db.close(),
  };
}

const pgUrl = process.env.TFG_TEST_POSTGRES_URL;

/** Named factories: every audit store test runs on each. */
export const AUDIT_STORES: [string, () => Promise<TamperableStore>][] = [
  ["sqlite (file)", sqliteFile],
  pgUrl ? ["postgres (server)", () => postgresServer(pgUrl)] : ["postgres (embedded PGlite)", pglite],
];
