// A database written before migration 0002 (resources without string/date index rows) is reindexed: by the
// Node start-up check (reindexIfStale) and by `npm run tfg -- reindex`, after which the new parameters find it.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SEARCH_INDEX_VERSION } from "../../src/fhir/search-index.js";
import { reindexIfStale } from "../../src/fhir/search-reindex.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { SearchCriterion, Store } from "../../src/store/port.js";
import { applyMigrations } from "../../src/store/sql/migrate.js";
import { openSqliteStore, sqliteExecutor } from "../../src/store/sqlite/index.js";

const migrations = loadMigrations();

/** A SQLite file at schema 0001 holding two Patients the way the 0001-era code wrote them. */
async function databaseBefore0002(): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), "tfg-reindex-")), "tfg.sqlite");
  const db = new Database(file);
  await applyMigrations(
    sqliteExecutor(db),
    migrations.filter((m) => m.name.startsWith("0001")),
  );
  const insert = (table: string) =>
    db.prepare(
      `INSERT INTO ${table} (resource_type, id, version_id, last_updated, deleted, content) VALUES (?, ?, 1, ?, 0, ?)`,
    );
  for (const [id, family, birthDate] of [
    ["old-1", "Oldfield", "1975-02-03"],
    ["old-2", "Newton", "1990-07-08"],
  ] as const) {
    const at = "2025-06-01T10:00:00.000Z";
    const content = JSON.stringify({
      resourceType: "Patient",
      id,
      meta: { versionId: "1", lastUpdated: at },
      name: [{ family }],
      gender: "female",
      birthDate,
    });
    for (const t of ["resources", "resource_versions"]) insert(t).run("Patient", id, at, content);
  }
  db.close();
  return file;
}

const family: SearchCriterion = { kind: "string", param: "family", values: ["oldf"], match: "prefix" };
const ids = async (store: Store, criteria: SearchCriterion[]) =>
  (await store.search({ resourceType: "Patient", criteria, count: 10, sort: "id" })).versions.map((v) => v.id);

describe("reindex after migration 0002", () => {
  it("marks an existing database stale and rebuilds its index on the start-up check, once", async () => {
    const store = await openSqliteStore(await databaseBefore0002(), migrations);
    try {
      expect(await store.searchIndexVersion()).toBe(1);
      expect(await ids(store, [family])).toEqual([]);
      expect(await reindexIfStale(store)).toMatchObject({
        resources: 2,
        fromVersion: 1,
        toVersion: SEARCH_INDEX_VERSION,
      });
      expect(await ids(store, [family])).toEqual(["old-1"]);
      expect(
        await ids(store, [
          { kind: "token", param: "gender", values: [{ value: "female" }] },
          {
            kind: "date",
            param: "birthdate",
            values: [{ prefix: "lt", start: "1980-01-01T00:00:00.000Z", end: "1981-01-01T00:00:00.000Z" }],
          },
        ]),
      ).toEqual(["old-1"]);
      expect(await reindexIfStale(store)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("needs no reindex on a new database", async () => {
    const store = await openSqliteStore(":memory:", migrations);
    expect(await store.searchIndexVersion()).toBe(SEARCH_INDEX_VERSION);
    await store.close();
  });

  it("rebuilds the index with `npm run tfg -- reindex`", async () => {
    const file = await databaseBefore0002();
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/runtime/cli/tfg.ts", "reindex"], {
      env: { ...process.env, TFG_DATA_DIR: join(file, ".."), TFG_DATABASE_URL: "" },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/reindex: 2 resources/);
    const store = await openSqliteStore(file, migrations);
    expect(await ids(store, [family])).toEqual(["old-1"]);
    expect(await store.searchIndexVersion()).toBe(SEARCH_INDEX_VERSION);
    await store.close();
  });
});
