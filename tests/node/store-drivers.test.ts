// Runs the storage contract on the Node drivers: SQLite, and PostgreSQL (a real server when TFG_TEST_POSTGRES_URL is set, embedded PGlite otherwise).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
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
  describeStoreContract("postgres (server)", async () => {
    // A fresh schema per run keeps runs independent on a shared server.
    const schema = `tfg_test_${Date.now().toString(36)}_${process.pid}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const url = new URL(pgUrl);
    url.searchParams.set("options", `-c search_path=${schema}`);
    return openPostgresStore(url.toString(), migrations);
  });
} else {
  describeStoreContract("postgres (embedded PGlite)", () => openPgliteStore(migrations));
}
