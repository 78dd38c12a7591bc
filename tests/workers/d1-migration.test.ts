// Migrations carry a D1 database forward in workerd: rows written at schema 0001 (JSON text in both tables) read the same after the later migrations.
import { applyD1Migrations, env } from "cloudflare:test";
import { expect, it } from "vitest";
import { d1Store } from "../../src/store/d1/index.js";

const patient = (version: number, gender: string) =>
  JSON.stringify({ resourceType: "Patient", id: "old-1", meta: { versionId: String(version) }, gender });

it("D1: schema 0001 rows read after migrating, and new versions go on top", async () => {
  const all = env.TEST_MIGRATIONS;
  await applyD1Migrations(
    env.DB,
    all.filter((m) => m.name.startsWith("0001_")),
  );
  const insert = (table: string, values: unknown[]) =>
    env.DB.prepare(`INSERT INTO ${table} VALUES (${values.map(() => "?").join(", ")})`).bind(...values);
  await env.DB.batch([
    insert("resource_versions", ["Patient", "old-1", 1, "2026-01-01T00:00:00.000Z", 0, patient(1, "female")]),
    insert("resource_versions", ["Patient", "old-1", 2, "2026-01-02T00:00:00.000Z", 0, patient(2, "male")]),
    insert("resources", ["Patient", "old-1", 2, "2026-01-02T00:00:00.000Z", 0, patient(2, "male")]),
    insert("search_tokens", ["Patient", "old-1", "identifier", "s", "OLD-1"]),
  ]);
  await applyD1Migrations(env.DB, all);

  const store = d1Store(env.DB);
  expect((await store.read("Patient", "old-1"))?.resource).toEqual(JSON.parse(patient(2, "male")));
  expect((await store.vread("Patient", "old-1", 1))?.resource).toEqual(JSON.parse(patient(1, "female")));
  const found = await store.search({
    resourceType: "Patient",
    criteria: [{ kind: "token", param: "identifier", values: [{ value: "OLD-1" }] }],
    count: 5,
    offset: 0,
    sort: "lastUpdated",
  });
  expect(found.versions.map((v) => v.versionId)).toEqual([2]);
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
  expect((await store.history("Patient", "old-1", { count: 5, offset: 0 })).versions.map((v) => v.versionId)).toEqual([
    3, 2, 1,
  ]);
});
