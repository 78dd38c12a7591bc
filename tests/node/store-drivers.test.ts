// Runs the storage contract on the Node drivers: SQLite, and PostgreSQL (a real server when TFG_TEST_POSTGRES_URL is set, embedded PGlite otherwise).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll } from "vitest";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openPgliteStore, openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { describeStoreContract } from "../contract/store-contract.js";

const migrations = loadMigrations();

describeStoreContract("sqlite", () =>
  openSqliteStore(join(mkdtempSync(join(tmpdir(), "tfg-")), "contract.db"), migrations),
);

const pgUrl = process.env.TFG_TEST_POSTGRES_URL;
if (pgUrl) {
  // A fresh schema per run keeps runs independent on a shared server; it is dropped afterwards.
  const schema = `tfg_test_${Date.now().toString(36)}_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  afterAll(() => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  describeStoreContract("postgres (server)", async () => {
    await admin(`CREATE SCHEMA ${schema}`);
    const url = new URL(pgUrl);
    url.searchParams.set("options", `-c search_path=${schema}`);
    return openPostgresStore(url.toString(), migrations);
  });
} else {
  describeStoreContract("postgres (embedded PGlite)", () => openPgliteStore(migrations));
}
