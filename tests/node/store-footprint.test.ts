// On-disk size of stored versions: no more bytes per version than the version's canonical JSON, on SQLite and PostgreSQL (PGlite).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { ndtmsCsv } from "../../bench/fixtures.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import { SOURCES } from "../../src/ingest/sources.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { canonicalJson } from "../../src/store/hash-chain.js";
import type { Store } from "../../src/store/port.js";
import { pgliteExecutor } from "../../src/store/postgres/index.js";
import { applyMigrations } from "../../src/store/sql/migrate.js";
import { SqlStore } from "../../src/store/sql/sql-store.js";
import { sqliteExecutor } from "../../src/store/sqlite/index.js";
import { sentBy } from "../support/sender.js";

const ROWS = 300;

/** Ingests ROWS synthetic NDTMS rows; returns the number of versions and their total canonical JSON bytes. */
async function load(store: Store): Promise<{ versions: number; canonicalBytes: number }> {
  const def = SOURCES.ndtms;
  if (!def) throw new Error("ndtms");
  const body = (async function* () {
    yield ndtmsCsv(ROWS);
  })();
  const report = await ingest(
    { store, clock: () => new Date("2026-06-01T00:00:00Z"), ownership: () => true },
    def.mapping(),
    def.read({ kind: "stream", body, mediaType: "text/csv" }),
    { retain: "rejected", ...sentBy("ndtms", "SYNTH-FEED") },
  );
  expect(report.counts.rejected).toBe(0);
  let canonicalBytes = 0;
  let versions = 0;
  for (const type of ["Patient", "EpisodeOfCare", "Observation", "ServiceRequest", "Encounter", "Provenance"]) {
    for (let offset = 0; ; offset += 500) {
      const page = await store.search({ resourceType: type, criteria: [], count: 500, offset, sort: "lastUpdated" });
      for (const v of page.versions) canonicalBytes += new TextEncoder().encode(canonicalJson(v.resource)).length;
      versions += page.versions.length;
      if (page.versions.length < 500) break;
    }
  }
  expect(versions).toBe(report.counts.resourcesWritten);
  return { versions, canonicalBytes };
}

/** Tables that hold the resources themselves (each version's JSON, the current pointer); the rest is search index. */
const VERSION_TABLES = new Set(["resource_versions", "resources"]);

// The store keeps each version's JSON once, compressed: the version tables (with their indexes) take no more
// bytes per version than the version's canonical JSON. The search index (migration 0002) comes on top of that
// and is reported, not bounded, here: docs/BENCHMARKS.md records both (issue 7 targets the whole database).
describe("storage footprint", () => {
  it("SQLite: the version tables and their indexes take no more bytes per version than its canonical JSON", {
    timeout: 120_000,
  }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), "tfg-footprint-")), "f.db");
    const db = new Database(file);
    const exec = sqliteExecutor(db);
    await applyMigrations(exec, loadMigrations());
    const { versions, canonicalBytes } = await load(new SqlStore(exec));
    db.pragma("wal_checkpoint(TRUNCATE)");
    const rows = db
      .prepare(
        "SELECT tbl_name AS t, sum(pgsize) AS n FROM dbstat JOIN sqlite_schema ON dbstat.name = sqlite_schema.name GROUP BY tbl_name",
      )
      .all() as { t: string; n: number }[];
    const own = rows.filter((r) => VERSION_TABLES.has(r.t)).reduce((sum, r) => sum + r.n, 0);
    expect(own).toBeGreaterThan(0);
    expect(own / versions).toBeLessThanOrEqual(canonicalBytes / versions);
    db.close();
  });

  it("PostgreSQL: the version tables (with indexes and TOAST) take no more bytes per version than its canonical JSON", {
    timeout: 120_000,
  }, async () => {
    const pg = new PGlite();
    const exec = pgliteExecutor(pg);
    await applyMigrations(exec, loadMigrations());
    const { versions, canonicalBytes } = await load(new SqlStore(exec));
    const r = await pg.query<{ n: string }>(
      "SELECT sum(pg_total_relation_size(c.oid))::text AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'r' AND c.relname IN ('resource_versions', 'resources')",
    );
    const own = Number(r.rows[0]?.n ?? 0);
    expect(own).toBeGreaterThan(0);
    expect(own / versions).toBeLessThanOrEqual(canonicalBytes / versions);
    await pg.close();
  });
});
