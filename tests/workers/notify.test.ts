// Notifications inside workerd on D1: an LA subscribes over REST, the deriver queues a discharge, and the Cron Trigger's
// handler (the same delivery code as Node's loop) signs and POSTs it, retrying a 503, delivering exactly once.
import { applyD1Migrations, env } from "cloudflare:test";
import { compactVerify, createLocalJWKSet, type JWK } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { storeView } from "../../src/derive/store-view.js";
import { DELIVERY_LOG, SIGNATURE_HEADER } from "../../src/notify/deliver.js";
import { notificationsDeriver } from "../../src/notify/deriver.js";
import { attachPayload } from "../../src/notify/signing.js";
import worker, { type WorkerEnv } from "../../src/runtime/worker.js";
import { d1Store } from "../../src/store/d1/index.js";
import { owned, put, signingJwk, subscriptionBody } from "../support/notify-fixtures.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

const ENDPOINT = "https://la201.example/think-family";
const SET = "https://think-family-gateway.example/fhir/CodeSystem/service-event-type";
let t: TestApp;
let jwk: JWK;

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  jwk = await signingJwk("gw-workers-1");
  t = await createTestApp(d1Store(env.DB), { TFG_SIGNING_JWK: JSON.stringify(jwk) });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/** Runs the Worker's scheduled handler once and waits for what it handed to waitUntil. */
async function cron(bindings: WorkerEnv) {
  const waiting: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => waiting.push(p), passThroughOnException() {}, props: {} };
  worker.scheduled(
    { cron: "* * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController,
    bindings,
    ctx as unknown as ExecutionContext,
  );
  await Promise.all(waiting);
}

describe("notifications in workerd", () => {
  it("queues a discharge and delivers it from the Cron Trigger once, signed, after a 503", async () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
    const store = d1Store(env.DB);
    const la = await t.issuer.sign({
      sub: "la-201",
      org: "201",
      org_type: "la-childrens-services",
      role: "system",
      purpose_of_use: "safeguarding-s47",
    });
    const created = await t.fhir("/fhir/Subscription", {
      method: "POST",
      headers: { Authorization: `Bearer ${la}` },
      json: subscriptionBody(ENDPOINT),
    });
    expect(created.status).toBe(201);

    await put(store, [
      owned("RX4", "TFG-Patient", {
        resourceType: "Patient",
        id: "w-adult",
        identifier: [{ system: "s", value: "P1" }],
      }),
      owned("201", "TFG-Patient", {
        resourceType: "Patient",
        id: "w-child",
        identifier: [{ system: "s", value: "C1" }],
      }),
      owned("tfg-gateway", "TFG-Household", {
        resourceType: "Group",
        id: "w-house",
        type: "person",
        actual: true,
        member: [{ entity: { reference: "Patient/w-adult" } }, { entity: { reference: "Patient/w-child" } }],
      }),
      owned("201", "TFG-ChildProtectionPlan", {
        resourceType: "CarePlan",
        id: "w-plan",
        status: "active",
        intent: "plan",
        subject: { reference: "Patient/w-child" },
        period: { start: "2026-01-01" },
      }),
      owned("RX4", "TFG-AdultServiceEvent", {
        resourceType: "Encounter",
        id: "w-discharge",
        status: "finished",
        class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "IMP" },
        type: [{ coding: [{ system: SET, code: "discharge" }] }],
        subject: { reference: "Patient/w-adult" },
        period: { start: "2026-11-20" },
      }),
    ]);
    const { outbox } = await notificationsDeriver.derive({
      view: storeView(store),
      touched: ["Encounter/w-discharge"],
    });
    expect(outbox).toHaveLength(1);
    await store.commit({ outbox: outbox ?? [] });
    await store.commit({ outbox: outbox ?? [] }); // queued twice (a replay): kept once
    const id = outbox?.[0]?.id as string;

    const seen: { key: string | null; signature: string; body: string }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      expect(String(input)).toBe(ENDPOINT);
      const headers = new Headers(init?.headers);
      seen.push({
        key: headers.get("Idempotency-Key"),
        signature: headers.get(SIGNATURE_HEADER) ?? "",
        body: new TextDecoder().decode(init?.body as Uint8Array),
      });
      return new Response(null, { status: seen.length === 1 ? 503 : 200 });
    });
    const bindings = {
      ...env,
      TFG_SIGNING_JWK: JSON.stringify(jwk),
      TFG_NOTIFY_RETRY_SECONDS: "1",
    } as unknown as WorkerEnv;
    await cron(bindings);
    expect(await store.getOutbox(id)).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 503" });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 31_000); // past the first retry's due time (30 s)
    await cron(bindings);
    await cron(bindings);
    expect(await store.getOutbox(id)).toMatchObject({ status: "delivered", attempts: 2 });
    expect(seen.map((s) => s.key)).toEqual([id, id]);

    const jwks = (await (await t.app.request("http://gw.test/.well-known/jwks.json")).json()) as { keys: JWK[] };
    const last = seen[1] as (typeof seen)[number];
    const verified = await compactVerify(
      attachPayload(last.signature, new TextEncoder().encode(last.body)),
      createLocalJWKSet(jwks),
    );
    expect(verified.protectedHeader.kid).toBe("gw-workers-1");
    expect((JSON.parse(last.body) as { type: string }).type).toBe("history");
    expect((await store.readLog(DELIVERY_LOG, 0, 10)).map((e) => e.payload.outcome)).toEqual([
      "retry-scheduled",
      "delivered",
    ]);
  });
});
