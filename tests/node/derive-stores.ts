// The stores derivation and linkage tests run on: SQLite, and PostgreSQL (TFG_TEST_POSTGRES_URL when set, else embedded PGlite).
import type { PGlite } from "@electric-sql/pglite";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openPostgresStore, pgliteExecutor } from "../../src/store/postgres/index.js";
import { applyMigrations } from "../../src/store/sql/migrate.js";
import { SqlStore } from "../../src/store/sql/sql-store.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { freshSchema } from "../support/pg-schema.js";

const migrations = loadMigrations();

/** One migrated PGlite database per test file; every test gets a clone of it (migrating anew costs seconds). */
let template: Promise<PGlite> | undefined;

async function pgliteStore(): Promise<Store> {
  template ??= (async () => {
    const { PGlite } = await import("@electric-sql/pglite");
    const db = new PGlite();
    await applyMigrations(pgliteExecutor(db), migrations);
    return db;
  })();
  const db = (await (await template).clone()) as PGlite;
  return new SqlStore(pgliteExecutor(db));
}

/** A fresh schema on the PostgreSQL server (dropped when the store closes). */
async function serverStore(url: string): Promise<Store> {
  const schema = await freshSchema(url, "tfg_derive");
  const store = await openPostgresStore(schema.url, migrations);
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await schema.drop();
  };
  return store;
}

/** Named store factories: every derivation test runs on each. */
export const STORES: [string, () => Promise<Store>][] = [
  ["sqlite", () => openSqliteStore(":memory:", migrations)],
  process.env.TFG_TEST_POSTGRES_URL
    ? ["postgres", () => serverStore(process.env.TFG_TEST_POSTGRES_URL as string)]
    : ["pglite", pgliteStore],
];
