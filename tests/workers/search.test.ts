// Search in workerd on D1: the R4 parameters, cursor paging, _include, and the step-wise reindex route for D1
// databases written before migration 0002.
import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { RECORD_OWNER_SYSTEM } from "../../src/auth/ownership.js";
import { d1Store } from "../../src/store/d1/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";
import { PRACTITIONER } from "../support/tokens.js";

let t: TestApp;

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  t = await createTestApp(d1Store(env.DB));
});

interface Bundle {
  total: number;
  link: { relation: string; url: string }[];
  entry?: { resource: { resourceType: string; id: string }; search: { mode: string } }[];
}
const get = async (path: string) => (await (await t.fhir(path.replace("http://gw.test", ""))).json()) as Bundle;

describe("search on D1", () => {
  it("finds by family, pages by cursor and includes the referenced patient", async () => {
    const tag = `w-${Date.now()}`;
    const ids: string[] = [];
    for (const family of ["Ödegård", "Odegard", "Other"]) {
      const res = await t.fhir("/fhir/Patient", {
        method: "POST",
        json: { resourceType: "Patient", identifier: [{ system: "urn:w", value: tag }], name: [{ family }] },
      });
      ids.push(((await res.json()) as { id: string }).id);
    }
    const found = await get(`/fhir/Patient?identifier=urn:w|${tag}&family=odeg&_count=1`);
    expect(found.total).toBe(2);
    const next = found.link.find((l) => l.relation === "next")?.url as string;
    const second = await get(next);
    const both = [...(found.entry ?? []), ...(second.entry ?? [])].map((e) => e.resource.id).sort();
    expect(both).toEqual(ids.slice(0, 2).sort());
    expect(second.link.find((l) => l.relation === "next")).toBeUndefined();

    const obs = await t.fhir("/fhir/Observation", {
      method: "POST",
      json: {
        resourceType: "Observation",
        status: "final",
        code: { text: "x" },
        subject: { reference: `Patient/${ids[0]}` },
      },
    });
    const { id } = (await obs.json()) as { id: string };
    const inc = await get(`/fhir/Observation?_id=${id}&_include=Observation:subject`);
    expect(inc.entry?.map((e) => [e.resource.id, e.search.mode])).toEqual([
      [id, "match"],
      [ids[0], "include"],
    ]);
    expect((await get(`/fhir/Patient?family=${tag}`)).entry).toBeUndefined();
  });

  it("reindexes a database written before 0002 through POST /admin/reindex, step by step, system role only", async () => {
    // A Patient as the 0001-era code stored it, after migration 0003 carried it forward: its JSON text in
    // resource_versions, the current row pointing at it, no string index rows; the index marked as version 1.
    // Owned by the default token's organisation, so the sharing protocol lets that token read it back.
    const content = JSON.stringify({
      resourceType: "Patient",
      id: "w-old",
      meta: { tag: [{ system: RECORD_OWNER_SYSTEM, code: PRACTITIONER.org }] },
      name: [{ family: "Preexisting" }],
    });
    // (Migration 0006 keys versions by the current row's rkey and stores lastUpdated as epoch milliseconds.)
    const at = Date.parse("2025-01-01T00:00:00.000Z");
    await env.DB.prepare(
      "INSERT INTO resources (resource_type, id, version_id, last_updated, deleted) VALUES ('Patient', 'w-old', 1, ?, 0)",
    )
      .bind(at)
      .run();
    await env.DB.prepare(
      "INSERT INTO resource_versions (rkey, version_id, resource_type, last_updated, deleted, content) SELECT rkey, 1, 'Patient', ?, 0, ? FROM resources WHERE resource_type = 'Patient' AND id = 'w-old'",
    )
      .bind(at, content)
      .run();
    await env.DB.prepare("UPDATE search_index_state SET version = 1 WHERE name = 'search'").run();
    expect((await get("/fhir/Patient?family=preexist")).total).toBe(0);

    expect((await t.fhir("/admin/reindex", { method: "POST" })).status).toBe(403);
    const system = await t.issuer.sign({ ...PRACTITIONER, role: "system" });
    let after: string | undefined;
    let version = 0;
    for (let step = 0; step < 50; step++) {
      const res = await t.fhir(`/admin/reindex${after ? `?after=${after}` : ""}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${system}` },
      });
      expect(res.status).toBe(200);
      const p = (await res.json()) as { parameter: { name: string; valueInteger?: number; valueString?: string }[] };
      after = p.parameter.find((x) => x.name === "next")?.valueString;
      version = p.parameter.find((x) => x.name === "version")?.valueInteger ?? 0;
      if (!after) break;
    }
    expect(version).toBe(2);
    expect((await get("/fhir/Patient?family=preexist")).entry?.map((e) => e.resource.id)).toEqual(["w-old"]);
  });
});
