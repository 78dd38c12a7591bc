// Stores for the audit tests, each with a raw SQL handle to tamper with its rows: SQLite (a file), and PostgreSQL
// (the server at TFG_TEST_POSTGRES_URL when set, else embedded PGlite).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openPostgresStore, pgliteExecutor } from "../../src/store/postgres/index.js";
import { applyMigrations } from "../../src/store/sql/migrate.js";
import { SqlStore } from "../../src/store/sql/sql-store.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

const migrations = loadMigrations();

/** Drops migration 0007's triggers on SQLite (and D1). */
export const SQLITE_UNGUARD = "DROP TRIGGER log_entries_no_update; DROP TRIGGER log_entries_no_delete;";
const POSTGRES_UNGUARD = "DROP TRIGGER log_entries_append_only ON log_entries;";
let schemas = 0;

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
  const schema = `tfg_audit_${Date.now().toString(36)}_${process.pid}_${schemas++}`;
  const admin = async (text: string, path?: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      if (path) await client.query(`SET search_path TO ${path}`);
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE SCHEMA ${schema}`);
  const u = new URL(url);
  u.searchParams.set("options", `-c search_path=${schema}`);
  const store = await openPostgresStore(u.toString(), migrations);
  const others: Store[] = [];
  return {
    store,
    unguard: POSTGRES_UNGUARD,
    async second() {
      const other = await openPostgresStore(u.toString(), migrations);
      others.push(other);
      return other;
    },
    sql: (text) => admin(text, schema),
    async close() {
      for (const o of others) await o.close();
      await store.close();
      await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
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
