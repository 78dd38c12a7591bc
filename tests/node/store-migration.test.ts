// Migrations carry a database forward: rows written at schema 0001 (JSON text in both tables) read the same after every later migration.
import { PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { pgliteExecutor } from "../../src/store/postgres/index.js";
import type { SqlExecutor } from "../../src/store/sql/executor.js";
import { applyMigrations } from "../../src/store/sql/migrate.js";
import { SqlStore } from "../../src/store/sql/sql-store.js";
import { sqliteExecutor } from "../../src/store/sqlite/index.js";

const all = loadMigrations();
const v1 = all.filter((m) => m.name.startsWith("0001_"));

const patient = (version: number, gender: string) =>
  JSON.stringify({
    resourceType: "Patient",
    id: "old-1",
    meta: { versionId: String(version), lastUpdated: `2026-01-0${version}T00:00:00.000Z` },
    gender,
    name: [{ family: "Test-Ünïcode", text: 'back\\slash "quoted"' }],
  });

/** What the 0001 store wrote for a Patient with two versions, its index rows, and a deleted Observation. */
const V1_ROWS = (q: (sql: string, params: unknown[]) => string) => [
  q("INSERT INTO resource_versions VALUES (?, ?, ?, ?, ?, ?)", [
    "Patient",
    "old-1",
    1,
    "2026-01-01T00:00:00.000Z",
    0,
    patient(1, "female"),
  ]),
  q("INSERT INTO resource_versions VALUES (?, ?, ?, ?, ?, ?)", [
    "Patient",
    "old-1",
    2,
    "2026-01-02T00:00:00.000Z",
    0,
    patient(2, "male"),
  ]),
  q("INSERT INTO resources VALUES (?, ?, ?, ?, ?, ?)", [
    "Patient",
    "old-1",
    2,
    "2026-01-02T00:00:00.000Z",
    0,
    patient(2, "male"),
  ]),
  q("INSERT INTO search_tokens VALUES (?, ?, ?, ?, ?)", ["Patient", "old-1", "identifier", "s", "OLD-1"]),
  q("INSERT INTO resource_versions VALUES (?, ?, ?, ?, ?, ?)", [
    "Observation",
    "o-1",
    1,
    "2026-01-01T00:00:00.000Z",
    0,
    '{"resourceType":"Observation","id":"o-1"}',
  ]),
  q("INSERT INTO resource_versions VALUES (?, ?, ?, ?, ?, ?)", [
    "Observation",
    "o-1",
    2,
    "2026-01-02T00:00:00.000Z",
    1,
    null,
  ]),
  q("INSERT INTO resources VALUES (?, ?, ?, ?, ?, ?)", ["Observation", "o-1", 2, "2026-01-02T00:00:00.000Z", 1, null]),
];

async function carriesForward(exec: SqlExecutor, placeholder: (i: number) => string) {
  await applyMigrations(exec, v1);
  const statements: { sql: string; parameters: unknown[] }[] = [];
  V1_ROWS((sql, parameters) => {
    let i = 0;
    statements.push({ sql: sql.replace(/\?/g, () => placeholder(++i)), parameters });
    return sql;
  });
  await exec.batch(statements);
  const applied = await applyMigrations(exec, all);
  expect(applied).toEqual(all.filter((m) => !m.name.startsWith("0001_")).map((m) => m.name));

  const store = new SqlStore(exec);
  const cur = await store.read("Patient", "old-1");
  expect(cur).toMatchObject({ versionId: 2, deleted: false, lastUpdated: "2026-01-02T00:00:00.000Z" });
  expect(cur?.resource).toEqual(JSON.parse(patient(2, "male")));
  expect((await store.vread("Patient", "old-1", 1))?.resource).toEqual(JSON.parse(patient(1, "female")));
  expect((await store.history("Patient", "old-1", { count: 10, offset: 0 })).versions.map((v) => v.versionId)).toEqual([
    2, 1,
  ]);
  const found = await store.search({
    resourceType: "Patient",
    criteria: [{ kind: "token", param: "identifier", values: [{ value: "OLD-1" }] }],
    count: 10,
    offset: 0,
    sort: "lastUpdated",
  });
  expect(found.versions.map((v) => v.resource)).toEqual([JSON.parse(patient(2, "male"))]);
  expect(await store.read("Observation", "o-1")).toMatchObject({ versionId: 2, deleted: true });
  expect((await store.vread("Observation", "o-1", 1))?.resource).toEqual({ resourceType: "Observation", id: "o-1" });

  // New versions go on top of the old ones, and the old ones still read.
  const next = { resourceType: "Patient", id: "old-1", gender: "other" };
  await store.commit({
    resources: [
      {
        resourceType: "Patient",
        id: "old-1",
        versionId: 3,
        lastUpdated: "2026-02-01T00:00:00.000Z",
        resource: next,
        tokens: [],
        references: [],
      },
    ],
  });
  expect((await store.read("Patient", "old-1"))?.resource).toEqual(next);
  expect((await store.vread("Patient", "old-1", 2))?.resource).toEqual(JSON.parse(patient(2, "male")));
  await store.close();
}

describe("migrations carry schema 0001 data forward", () => {
  it("SQLite", async () => {
    await carriesForward(sqliteExecutor(new Database(":memory:")), () => "?");
  });
  it("PostgreSQL (PGlite)", async () => {
    await carriesForward(pgliteExecutor(new PGlite()), (i) => `$${i}`);
  });
});
