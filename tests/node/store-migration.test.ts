// Migrations carry a database forward: rows written at schema 0001 (JSON text in both tables) read the same after every later migration.
import { PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { SearchCriterion } from "../../src/store/port.js";
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

const HEX = "0123456789abcdef0123456789abcdef";
const UUID = "01234567-89ab-cdef-0123-456789abcdef";
const before0006 = all.filter((m) => m.name < "0006_");

/** What the 0005 store wrote: versions and current rows by (type, id) with ISO text times, and index rows of every kind. */
function rows0005(content: (json: string) => unknown) {
  const p = (v: number) =>
    JSON.stringify({ resourceType: "Patient", id: HEX, meta: { versionId: String(v) }, name: [{ family: "Smith" }] });
  const at = (d: number) => `2026-03-0${d}T10:00:00.000Z`;
  return [
    ["resource_versions", ["Patient", HEX, 1, at(1), 0, content(p(1))]],
    ["resource_versions", ["Patient", HEX, 2, at(2), 0, content(p(2))]],
    ["resources", ["Patient", HEX, 2, at(2), 0]],
    ["search_tokens", ["Patient", HEX, "identifier", "https://fhir.nhs.uk/Id/nhs-number", "9990000018"]],
    ["search_strings", ["Patient", HEX, "family", "smith", "Smith"]],
    ["search_dates", ["Patient", HEX, "birthdate", "1980-01-01T00:00:00.000Z", "1980-01-02T00:00:00.000Z"]],
    ...[HEX, UUID, "old-2", "sixteen-chars-id"].flatMap((target, i) => [
      [
        "resource_versions",
        ["Observation", `o-${i}`, 1, at(3), 0, content(`{"resourceType":"Observation","id":"o-${i}"}`)],
      ],
      ["resources", ["Observation", `o-${i}`, 1, at(3), 0]],
      ["search_references", ["Observation", `o-${i}`, "subject", `Patient/${target}`]],
    ]),
  ] as [string, unknown[]][];
}

/** Writes rows0005 at schema 0005, applies 0006, and checks every kind of search and history answers as before. */
async function carries0006(exec: SqlExecutor, placeholder: (i: number) => string, content: (json: string) => unknown) {
  await applyMigrations(exec, before0006);
  await exec.batch(
    rows0005(content).map(([table, values]) => ({
      sql: `INSERT INTO ${table} VALUES (${values.map((_, i) => placeholder(i + 1)).join(", ")})`,
      parameters: values,
    })),
  );
  expect(await applyMigrations(exec, all)).toEqual(all.filter((m) => m.name >= "0006_").map((m) => m.name));

  const store = new SqlStore(exec);
  const find = async (resourceType: string, criteria: SearchCriterion[]) =>
    (await store.search({ resourceType, criteria, count: 10, sort: "id" })).versions.map((v) => v.id);
  expect(
    await find("Patient", [
      {
        kind: "token",
        param: "identifier",
        values: [{ system: "https://fhir.nhs.uk/Id/nhs-number", value: "9990000018" }],
      },
    ]),
  ).toEqual([HEX]);
  expect(
    await find("Patient", [{ kind: "token", param: "identifier", values: [{ system: "other", value: "9990000018" }] }]),
  ).toEqual([]);
  expect(await find("Patient", [{ kind: "string", param: "family", values: ["smi"], match: "prefix" }])).toEqual([HEX]);
  expect(await find("Patient", [{ kind: "string", param: "family", values: ["Smith"], match: "exact" }])).toEqual([
    HEX,
  ]);
  const day = { start: "1980-01-01T00:00:00.000Z", end: "1980-01-02T00:00:00.000Z" };
  expect(await find("Patient", [{ kind: "date", param: "birthdate", values: [{ prefix: "eq", ...day }] }])).toEqual([
    HEX,
  ]);
  expect(await find("Patient", [{ kind: "date", param: "birthdate", values: [{ prefix: "gt", ...day }] }])).toEqual([]);
  for (const [i, target] of [HEX, UUID, "old-2", "sixteen-chars-id"].entries()) {
    expect(
      await find("Observation", [{ kind: "reference", param: "subject", targets: [`Patient/${target}`] }]),
    ).toEqual([`o-${i}`]);
  }
  expect(
    await find("Patient", [
      {
        kind: "date",
        param: "_lastUpdated",
        values: [{ prefix: "ge", start: "2026-03-02T10:00:00.000Z", end: "2026-03-02T10:00:00.001Z" }],
      },
    ]),
  ).toEqual([HEX]);
  const history = await store.historyAcross({ resourceType: "Patient", count: 10 });
  expect(history.versions.map((v) => [v.id, v.versionId, v.lastUpdated])).toEqual([
    [HEX, 2, "2026-03-02T10:00:00.000Z"],
    [HEX, 1, "2026-03-01T10:00:00.000Z"],
  ]);
  expect((await store.vread("Patient", HEX, 1))?.resource).toMatchObject({ meta: { versionId: "1" } });

  // A new version replaces the carried-over index rows.
  await store.commit({
    resources: [
      {
        resourceType: "Patient",
        id: HEX,
        versionId: 3,
        lastUpdated: "2026-04-01T00:00:00.000Z",
        resource: { resourceType: "Patient", id: HEX, name: [{ family: "Jones" }] },
        tokens: [],
        references: [],
        strings: [{ param: "family", value: "jones", exact: "Jones" }],
      },
    ],
  });
  expect(await find("Patient", [{ kind: "string", param: "family", values: ["smi"], match: "prefix" }])).toEqual([]);
  expect(await find("Patient", [{ kind: "string", param: "family", values: ["jon"], match: "prefix" }])).toEqual([HEX]);
  expect(await find("Patient", [{ kind: "date", param: "birthdate", values: [{ prefix: "eq", ...day }] }])).toEqual([]);
  await store.close();
}

describe("migration 0006 carries the search index and history forward", () => {
  it("SQLite", async () => {
    await carries0006(
      sqliteExecutor(new Database(":memory:")),
      () => "?",
      (json) => json,
    );
  });
  it("PostgreSQL (PGlite)", async () => {
    await carries0006(
      pgliteExecutor(new PGlite()),
      (i) => `$${i}`,
      (json) => new TextEncoder().encode(json),
    );
  });
});
