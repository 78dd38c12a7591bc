// Subscriptions over REST (R4 Subscriptions Backport shape): an LA token creates one owned by its LA and active;
// other callers and malformed shapes are refused with an OperationOutcome naming the element; /.well-known/jwks.json.
import { beforeEach, describe, expect, it } from "vitest";
import { ownersOf } from "../../src/auth/ownership.js";
import { FILTER_CRITERIA_EXTENSION, PAYLOAD_CONTENT_EXTENSION } from "../../src/notify/topic.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { signingJwk, subscriptionBody } from "../support/notify-fixtures.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

const LA = {
  sub: "la-201-system",
  org: "201",
  org_type: "la-childrens-services",
  role: "system",
  purpose_of_use: "safeguarding-s47",
};
let t: TestApp;
let la: string;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
type Outcome = { resourceType: string; issue: { diagnostics: string; expression?: string[] }[] };

beforeEach(async () => {
  t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), {
    TFG_SIGNING_JWK: JSON.stringify(await signingJwk("gw-key-1")),
  });
  la = await t.issuer.sign(LA);
});

describe("Subscription over REST", () => {
  it("an LA creates one: owned by the LA, requested becomes active, payload content id-only by default", async () => {
    const { _payload, ...channel } = subscriptionBody("https://la201.example/notify").channel;
    const body = { ...subscriptionBody("https://la201.example/notify"), channel };
    const res = await t.fhir("/fhir/Subscription", { method: "POST", headers: bearer(la), json: body });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Record<string, unknown> & { id: string; channel: Record<string, unknown> };
    expect(created.status).toBe("active");
    expect(ownersOf(created)).toEqual(["201"]);
    expect(created.channel._payload).toEqual({ extension: [{ url: PAYLOAD_CONTENT_EXTENSION, valueCode: "id-only" }] });
    const found = (await (await t.fhir("/fhir/Subscription?status=active", { headers: bearer(la) })).json()) as {
      total: number;
    };
    expect(found.total).toBe(1);

    // Another LA may not change or take it over; the owner may switch it off.
    const other = await t.issuer.sign({ ...LA, org: "202" });
    const taken = await t.fhir(`/fhir/Subscription/${created.id}`, {
      method: "PUT",
      headers: bearer(other),
      json: { ...created, meta: undefined },
    });
    expect(taken.status).toBe(403);
    const off = await t.fhir(`/fhir/Subscription/${created.id}`, {
      method: "PUT",
      headers: bearer(la),
      json: { ...created, status: "off" },
    });
    expect(off.status).toBe(200);
    expect(((await off.json()) as { status: string }).status).toBe("off");
  });

  it("stores a criteria-based R4 Subscription with status error and why, and never counts it active", async () => {
    for (const status of ["requested", "active", "error"]) {
      const res = await t.fhir("/fhir/Subscription", {
        method: "POST",
        headers: bearer(la),
        json: { ...subscriptionBody("https://la201.example/n"), criteria: "Encounter?type=discharge", status },
      });
      expect(res.status).toBe(201);
      const created = (await res.json()) as { status: string; error: string; criteria: string };
      expect(created.status).toBe("error");
      expect(created.error).toMatch(/Criteria-based subscriptions are not notified/);
      expect(created.error).not.toContain("discharge");
      expect(created.criteria).toBe("Encounter?type=discharge");
    }
    const active = (await (await t.fhir("/fhir/Subscription?status=active", { headers: bearer(la) })).json()) as {
      total: number;
    };
    expect(active.total).toBe(0);
  });

  it("refuses a caller that is not a local authority's children's services (403)", async () => {
    const res = await t.fhir("/fhir/Subscription", {
      method: "POST",
      json: subscriptionBody("https://la201.example/n"),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as Outcome).resourceType).toBe("OperationOutcome");
  });

  it.each([
    [
      "topic",
      { criteria: "https://think-family-gateway.example/fhir/SubscriptionTopic/another-topic" },
      "Subscription.criteria",
    ],
    ["criteria", { criteria: "not a search" }, "Subscription.criteria"],
    [
      "endpoint",
      { channel: { ...subscriptionBody("http://la201.example/n").channel } },
      "Subscription.channel.endpoint",
    ],
    [
      "credentials",
      { channel: { ...subscriptionBody("https://u:p@la201.example/n").channel } },
      "Subscription.channel.endpoint",
    ],
    [
      "channel type",
      { channel: { ...subscriptionBody("https://la201.example/n").channel, type: "websocket" } },
      "Subscription.channel.type",
    ],
    [
      "payload content",
      {
        channel: {
          ...subscriptionBody("https://la201.example/n").channel,
          _payload: { extension: [{ url: PAYLOAD_CONTENT_EXTENSION, valueCode: "full-resource" }] },
        },
      },
      "Subscription.channel.payload.extension",
    ],
    [
      "header",
      { channel: { ...subscriptionBody("https://la201.example/n").channel, header: ["Idempotency-Key: x"] } },
      "Subscription.channel.header[0]",
    ],
    [
      "filter",
      { _criteria: { extension: [{ url: FILTER_CRITERIA_EXTENSION, valueString: "event=biopsy" }] } },
      "Subscription.criteria.extension[0].valueString",
    ],
    ["status", { status: "error" }, "Subscription.status"],
  ])("refuses a bad %s (422, says where)", async (_what, change, where) => {
    const res = await t.fhir("/fhir/Subscription", {
      method: "POST",
      headers: bearer(la),
      json: { ...subscriptionBody("https://la201.example/n"), ...change },
    });
    expect(res.status).toBe(422);
    const outcome = (await res.json()) as Outcome;
    expect(outcome.issue.flatMap((i) => i.expression ?? [])).toContain(where);
    expect((await t.store.search({ resourceType: "Subscription", criteria: [], count: 10, sort: "id" })).total).toBe(0);
  });

  it("applies the same rule to a Subscription in a transaction (expression inside the Bundle)", async () => {
    const res = await t.fhir("/fhir", {
      method: "POST",
      headers: bearer(la),
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          { resource: { resourceType: "Patient" }, request: { method: "POST", url: "Patient" } },
          { resource: subscriptionBody("http://la201.example/n"), request: { method: "POST", url: "Subscription" } },
        ],
      },
    });
    expect(res.status).toBe(422);
    const outcome = (await res.json()) as Outcome;
    expect(outcome.issue.flatMap((i) => i.expression ?? [])).toContain("Bundle.entry[1].resource.channel.endpoint");
  });
});

describe("/.well-known/jwks.json", () => {
  it("serves the public half of the signing key, without authentication", async () => {
    const res = await t.app.request("http://gw.test/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("application/jwk-set+json");
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: "EC", crv: "P-256", kid: "gw-key-1", alg: "ES256", use: "sig" });
    expect(keys[0]).not.toHaveProperty("d");
  });

  it("serves an empty set when no key is configured, and a bad key is a configuration error that names no key material", async () => {
    const bare = await createTestApp(await openSqliteStore(":memory:", loadMigrations()));
    expect(await (await bare.app.request("http://gw.test/.well-known/jwks.json")).json()).toEqual({ keys: [] });
    const jwk = await signingJwk("k");
    const { d, ...pub } = jwk;
    await expect(createTestApp(t.store, { TFG_SIGNING_JWK: JSON.stringify(pub) })).rejects.toThrow(
      /first key must be a private key/,
    );
    await expect(createTestApp(t.store, { TFG_SIGNING_JWK: "{not json" })).rejects.toThrow(/TFG_SIGNING_JWK/);
    try {
      await createTestApp(t.store, { TFG_SIGNING_JWK: JSON.stringify({ ...jwk, kid: undefined }) });
    } catch (err) {
      expect(String(err)).not.toContain(String(d));
    }
  });
});
