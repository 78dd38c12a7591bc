// The gateway app inside workerd on D1: the same routes as on Node, with authentication.
import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { d1Store } from "../../src/store/d1/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

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
});
