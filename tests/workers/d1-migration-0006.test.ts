// Migration 0006 in workerd: a D1 database written at schema 0005 (versions and index rows by type and id, ISO text times) searches and lists history the same after it.
import { applyD1Migrations, env } from "cloudflare:test";
import { expect, it } from "vitest";
import { d1Store } from "../../src/store/d1/index.js";
import type { SearchCriterion } from "../../src/store/port.js";

const patient = (version: number, gender: string) =>
  JSON.stringify({
    resourceType: "Patient",
    id: "0123456789abcdef0123456789abcdef",
    meta: { versionId: String(version) },
    gender,
  });

it("D1: migration 0006 carries index rows of every kind and history forward", async () => {
  const all = env.TEST_MIGRATIONS;
  await applyD1Migrations(
    env.DB,
    all.filter((m) => m.name < "0006_"),
  );
  const hex = "0123456789abcdef0123456789abcdef";
  const insert = (table: string, values: unknown[]) =>
    env.DB.prepare(`INSERT INTO ${table} VALUES (${values.map(() => "?").join(", ")})`).bind(...values);
  const targets = [hex, "01234567-89ab-cdef-0123-456789abcdef", "sixteen-chars-id", "old-2"];
  await env.DB.batch([
    insert("resource_versions", ["Patient", hex, 1, "2026-03-01T10:00:00.000Z", 0, patient(1, "female")]),
    insert("resources", ["Patient", hex, 1, "2026-03-01T10:00:00.000Z", 0]),
    insert("search_strings", ["Patient", hex, "family", "smith", "Smith"]),
    insert("search_dates", ["Patient", hex, "birthdate", "1980-01-01T00:00:00.000Z", "1980-01-02T00:00:00.000Z"]),
    ...targets.flatMap((target, i) => [
      insert("resource_versions", ["Observation", `o-${i}`, 1, "2026-03-02T10:00:00.000Z", 0, "{}"]),
      insert("resources", ["Observation", `o-${i}`, 1, "2026-03-02T10:00:00.000Z", 0]),
      insert("search_references", ["Observation", `o-${i}`, "subject", `Patient/${target}`]),
    ]),
  ]);
  await applyD1Migrations(env.DB, all);

  const store = d1Store(env.DB);
  const find = async (resourceType: string, criteria: SearchCriterion[]) =>
    (await store.search({ resourceType, criteria, count: 10, sort: "id" })).versions.map((v) => v.id);
  expect(await find("Patient", [{ kind: "string", param: "family", values: ["smi"], match: "prefix" }])).toEqual([hex]);
  const day = { start: "1980-01-01T00:00:00.000Z", end: "1980-01-02T00:00:00.000Z" };
  expect(await find("Patient", [{ kind: "date", param: "birthdate", values: [{ prefix: "eq", ...day }] }])).toEqual([
    hex,
  ]);
  for (const [i, target] of targets.entries()) {
    expect(
      await find("Observation", [{ kind: "reference", param: "subject", targets: [`Patient/${target}`] }]),
    ).toEqual([`o-${i}`]);
  }
  const history = await store.historyAcross({ count: 10 });
  expect(history.versions.map((v) => [v.resourceType, v.lastUpdated])).toEqual([
    ...targets.map(() => ["Observation", "2026-03-02T10:00:00.000Z"]),
    ["Patient", "2026-03-01T10:00:00.000Z"],
  ]);
});
