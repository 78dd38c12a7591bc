// The stores the all-or-nothing tests run on: a SQLite file, and PostgreSQL (a real server in a fresh schema when
// TFG_TEST_POSTGRES_URL is set, embedded PGlite otherwise), each with Store.bulk.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStores } from "../../src/runtime/node.js";
import type { Store } from "../../src/store/port.js";
import { openPgliteStore, openPostgresStore } from "../../src/store/postgres/index.js";

/** A driver to run on: its name, whether other connections keep working during a bulk session, and a fresh store. */
export interface BulkDriver {
  name: string;
  /** False for PGlite: one connection, so the rest of the store waits for an open bulk session. */
  concurrent: boolean;
  /** A fresh, migrated, empty store; `where` names it for a child process (SQLite file path or PostgreSQL URL). */
  open(writeWaitMs?: number): Promise<{ store: Store; where?: { dialect: "sqlite" | "postgres"; target: string } }>;
}

const migrations = loadMigrations();
export const pgUrl = process.env.TFG_TEST_POSTGRES_URL;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const schemas: string[] = [];
/** Drops the PostgreSQL schemas this run made (call in afterAll). */
export async function dropSchemas(): Promise<void> {
  for (const s of schemas.splice(0)) await admin(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
}

const sqlite: BulkDriver = {
  name: "sqlite file",
  concurrent: true,
  async open(writeWaitMs) {
    // The data and the audit trail in their own files, as `npm start` keeps them (src/runtime/node.ts).
    const dir = mkdtempSync(join(tmpdir(), "tfg-aon-"));
    const file = join(dir, "tfg.sqlite");
    return {
      store: await openSqliteStores(dir, writeWaitMs),
      where: { dialect: "sqlite", target: file },
    };
  },
};

const postgres: BulkDriver = pgUrl
  ? {
      name: "postgres (server)",
      concurrent: true,
      async open() {
        const schema = `tfg_aon_${Date.now().toString(36)}_${process.pid}_${schemas.length}`;
        await admin(`CREATE SCHEMA ${schema}`);
        schemas.push(schema);
        const url = new URL(pgUrl as string);
        url.searchParams.set("options", `-c search_path=${schema}`);
        return {
          store: await openPostgresStore(url.toString(), migrations),
          where: { dialect: "postgres", target: url.toString() },
        };
      },
    }
  : {
      name: "postgres (embedded PGlite)",
      concurrent: false,
      async open() {
        return { store: await openPgliteStore(migrations) };
      },
    };

/** Every driver with Store.bulk. */
export const BULK_DRIVERS: BulkDriver[] = [sqlite, postgres];
