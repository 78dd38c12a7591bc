// The gateway app inside workerd on D1: the same routes as on Node, with authentication.
import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { d1Store } from "../../src/store/d1/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";
import { PRACTITIONER } from "../support/tokens.js";

let t: TestApp;

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  t = await createTestApp(d1Store(env.DB));
});

describe("gateway in workerd on D1", () => {
  it("runs in the Workers runtime", () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
  });

  it("serves metadata, rejects a missing token, creates, reads, searches and runs a transaction", async () => {
    expect((await t.app.request("http://gw.test/fhir/metadata")).status).toBe(200);
    expect((await t.app.request("http://gw.test/fhir/Patient")).status).toBe(401);

    const created = await t.fhir("/fhir/Patient", {
      method: "POST",
      json: { resourceType: "Patient", identifier: [{ system: "urn:test", value: "w-1" }] },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await t.fhir(`/fhir/Patient/${id}`)).status).toBe(200);
    const found = (await (await t.fhir("/fhir/Patient?identifier=urn:test|w-1")).json()) as { total: number };
    expect(found.total).toBe(1);
    // The sharing protocol in workerd: another organisation with no relationship sees nothing of it.
    const other = await t.issuer.sign({
      ...PRACTITIONER,
      sub: "other",
      org: "N0852",
      org_type: "drug-alcohol-service",
    });
    const asOther = { headers: { Authorization: `Bearer ${other}` } };
    expect((await t.fhir(`/fhir/Patient/${id}`, asOther)).status).toBe(404);
    const hidden = (await (await t.fhir("/fhir/Patient?identifier=urn:test|w-1", asOther)).json()) as {
      total: number;
    };
    expect(hidden.total).toBe(0);

    const stale = await t.fhir(`/fhir/Patient/${id}`, {
      method: "PUT",
      headers: { "If-Match": 'W/"9"' },
      json: { resourceType: "Patient", id },
    });
    expect(stale.status).toBe(412);

    const tx = await t.fhir("/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          { fullUrl: "urn:uuid:1", resource: { resourceType: "Patient" }, request: { method: "POST", url: "Patient" } },
          {
            resource: {
              resourceType: "Flag",
              status: "active",
              code: { text: "x" },
              subject: { reference: "urn:uuid:1" },
            },
            request: { method: "POST", url: "Flag" },
          },
        ],
      },
    });
    expect(tx.status).toBe(200);
  });

  it("applies a JSON Patch with If-Match (fast-json-patch in workerd) and lists type and system history", async () => {
    const created = await t.fhir("/fhir/Patient", {
      method: "POST",
      json: { resourceType: "Patient", gender: "male" },
    });
    const { id } = (await created.json()) as { id: string };
    const patch = (ifMatch: string) =>
      t.fhir(`/fhir/Patient/${id}`, {
        method: "PATCH",
        headers: { "Content-Type": "application/json-patch+json", "If-Match": ifMatch },
        body: JSON.stringify([
          { op: "test", path: "/gender", value: "male" },
          { op: "replace", path: "/gender", value: "female" },
        ]),
      });
    const ok = await patch('W/"1"');
    expect(ok.status).toBe(200);
    expect(ok.headers.get("ETag")).toBe('W/"2"');
    expect(((await ok.json()) as { gender: string }).gender).toBe("female");
    expect((await patch('W/"1"')).status).toBe(412);
    expect((await patch('W/"2"')).status).toBe(422);

    const typeHistory = (await (await t.fhir("/fhir/Patient/_history?_count=1")).json()) as {
      total: number;
      entry: { resource: { id: string; meta: { versionId: string } } }[];
      link: { relation: string; url: string }[];
    };
    expect(typeHistory.entry[0]?.resource).toMatchObject({ id, meta: { versionId: "2" } });
    const next = typeHistory.link.find((l) => l.relation === "next")?.url ?? "";
    const page2 = (await (await t.fhir(next.replace("http://gw.test", ""))).json()) as {
      total: number;
      entry: { resource: { id: string; meta: { versionId: string } } }[];
    };
    expect(page2.total).toBe(typeHistory.total);
    // Keyset paging: the second page continues after the first page's entry, never repeating it.
    expect(page2.entry).toHaveLength(1);
    expect(page2.entry[0]?.resource).not.toMatchObject({ id, meta: { versionId: "2" } });
    const system = (await (await t.fhir("/fhir/_history")).json()) as { total: number };
    expect(system.total).toBeGreaterThan(typeHistory.total);
    expect((await t.fhir("/fhir/Medication/_history")).status).toBe(404);
  });
});
