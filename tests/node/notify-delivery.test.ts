// The Must-show for notifications, end to end on real SQLite with the real CPA and SSD ingest: an LA subscribes over
// REST; a discharge of an adult whose household holds a child on that LA's CP plan delivers exactly one signed notification
// to the LA's endpoint (msw); the signature verifies against /.well-known/jwks.json; a 503 on the first attempt is retried
// and still yields one delivery; re-sending changes nothing; dead-lettering after N attempts; no identifiable value in logs.
import { readFileSync } from "node:fs";
import { compactVerify, createRemoteJWKSet } from "jose";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { storeView } from "../../src/derive/store-view.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import type { Logger } from "../../src/log/logger.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { cpaJsonRecords } from "../../src/mapping/sources/cpa.js";
import { ssdJsonRecords } from "../../src/mapping/sources/ssd.js";
import { DELIVERY_LOG, type DeliveryDeps, deliverDue, SIGNATURE_HEADER } from "../../src/notify/deliver.js";
import { notificationsDeriver } from "../../src/notify/deriver.js";
import { attachPayload, createSigner } from "../../src/notify/signing.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { textSource } from "../support/map-events.js";
import { owned, put, signingJwk, subscriptionBody } from "../support/notify-fixtures.js";
import { sentBy } from "../support/sender.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

const BASE = "https://gw.example.nhs.uk/fhir";
const ENDPOINT = "https://la201.example/think-family";
const DEAD_ENDPOINT = "https://la201.example/broken";
const JWKS_URL = "https://gw.example.nhs.uk/.well-known/jwks.json";
const IDENTIFYING = [
  "9997654323",
  "9990000018",
  "Alex",
  "Example",
  "Ava",
  "Testfamily",
  "1988-03-14",
  "2015-03-15",
  "ZZ99",
  "Test Street",
];

type Received = { key: string; signature: string; body: string; authorization: string | null };
let received: Received[] = [];
/** Idempotency keys whose next answer is a 503 (once each). */
let failOnce = new Set<string>();
let t: TestApp;
let app: TestApp["app"];
const server = setupServer(
  http.post(ENDPOINT, async ({ request }) => {
    const key = request.headers.get("Idempotency-Key") ?? "";
    received.push({
      key,
      signature: request.headers.get(SIGNATURE_HEADER) ?? "",
      body: await request.text(),
      authorization: request.headers.get("Authorization"),
    });
    if (failOnce.delete(key)) return new HttpResponse(null, { status: 503 });
    return new HttpResponse(null, { status: 202 });
  }),
  http.post(DEAD_ENDPOINT, () => new HttpResponse(null, { status: 500 })),
  http.get(JWKS_URL, () => app.request("http://gw.test/.well-known/jwks.json")),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const cpaGolden = JSON.parse(readFileSync("tests/golden/cpa/input.json", "utf8")) as {
  MHS000Header: unknown;
  Patients: Record<string, unknown>[];
};
const ssdGolden = readFileSync("tests/golden/ssd/input.json", "utf8");
/** The golden CPA adult P001 with only a CPA episode and the given admissions. */
const cpaFile = (admissions: Record<string, string>[]) => {
  const p = cpaGolden.Patients[0] as Record<string, unknown>;
  const patient = {
    MHS001MPI: p.MHS001MPI,
    MHS006MHCareCoord: p.MHS006MHCareCoord,
    MHS701CPACareEpisode: p.MHS701CPACareEpisode,
    MHS101Referral: [{ ServiceRequestId: "SR1", ReferralRequestReceivedDate: "2024-12-01", Admissions: admissions }],
  };
  return JSON.stringify({ MHS000Header: cpaGolden.MHS000Header, Patients: [patient] });
};

let store: Store;
let lines: string[];
const logger: Logger = {
  debug: (o, m) => lines.push(JSON.stringify([o, m])),
  info: (o, m) => lines.push(JSON.stringify([o, m])),
  warn: (o, m) => lines.push(JSON.stringify([o, m])),
  error: (o, m) => lines.push(JSON.stringify([o, m])),
  child: () => logger,
};
let deps: DeliveryDeps;
// The outbox stamps messages with the store's own clock, so the delivery clock starts just after real time.
let now = 0;
const at = (ms: number) => () => new Date(ms);

/** Ingests a CPA file at `now` and runs the notifications deriver over what it wrote, as the derivation runner will. */
async function sendCpa(file: string) {
  const stamp = new Date(now).toISOString();
  const report = await ingest(
    { store, clock: at(now) },
    mappingFor("cpa"),
    cpaJsonRecords(textSource(file)),
    sentBy("cpa", "RX4"),
  );
  const keys = [...new Set(report.records.flatMap((r) => r.resources ?? []))];
  const touched: string[] = [];
  for (const k of keys) {
    const [type, id] = k.split("/") as [string, string];
    if ((await store.read(type, id))?.lastUpdated === stamp) touched.push(k);
  }
  const out = await notificationsDeriver.derive({ view: storeView(store), touched });
  if (out.outbox?.length) await store.commit({ outbox: out.outbox });
  return { report, touched, queued: out.outbox ?? [] };
}

beforeEach(async () => {
  received = [];
  failOnce = new Set();
  lines = [];
  now = Date.now() + 5_000;
  store = await openSqliteStore(":memory:", loadMigrations());
  const jwk = await signingJwk("gw-2026-11");
  t = await createTestApp(store, {
    TFG_SIGNING_JWK: JSON.stringify(jwk),
    TFG_BASE_URL: BASE,
    TFG_NOTIFY_MAX_ATTEMPTS: "3",
  });
  app = t.app;
  const signer = await createSigner([jwk]);
  deps = {
    store,
    signer: signer as NonNullable<typeof signer>,
    settings: { maxAttempts: 3, retryBaseSeconds: 30, retryMaxSeconds: 3600, leaseSeconds: 60, timeoutSeconds: 5 },
    logger,
    clock: () => new Date(now),
    baseUrl: BASE,
  };

  // The LA's case records (a child on a CP plan), the trust's CPA record of the adult (no admission yet).
  await ingest(
    { store, clock: at(now) },
    mappingFor("ssd"),
    ssdJsonRecords(textSource(ssdGolden)),
    sentBy("ssd", "201"),
  );
  await sendCpa(cpaFile([]));
  const plan = (await store.search({ resourceType: "CarePlan", criteria: [], count: 10, sort: "id" })).versions[0];
  const child = (plan?.resource?.subject as { reference: string } | undefined)?.reference ?? "";
  const cpa = (
    await store.search({
      resourceType: "EpisodeOfCare",
      criteria: [{ kind: "token", param: "type", values: [{ value: "cpa" }] }],
      count: 10,
      sort: "id",
    })
  ).versions[0];
  const adult = (cpa?.resource?.patient as { reference: string } | undefined)?.reference ?? "";
  // The household the households deriver will build (same address): made by hand until it lands.
  await put(store, [
    owned("tfg-gateway", "TFG-Household", {
      resourceType: "Group",
      id: "household-1",
      type: "person",
      actual: true,
      member: [{ entity: { reference: adult } }, { entity: { reference: child } }],
    }),
  ]);
});

async function subscribe(endpoint = ENDPOINT) {
  const la = await t.issuer.sign({
    sub: "la-201",
    org: "201",
    org_type: "la-childrens-services",
    role: "system",
    purpose_of_use: "safeguarding-s47",
  });
  const res = await t.fhir("/fhir/Subscription", {
    method: "POST",
    headers: { Authorization: `Bearer ${la}` },
    json: subscriptionBody(endpoint),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const admission = { StartDateHospProvSpell: "2026-09-01" };
const discharged = { StartDateHospProvSpell: "2026-09-01", DischDateHospProvSpell: "2026-11-20" };

describe("notification delivery", () => {
  it("a discharge delivers exactly one signed notification; a 503 first is retried; re-sending changes nothing", async () => {
    const subId = await subscribe();
    // The admission: one notification, delivered at once.
    const first = await sendCpa(cpaFile([admission]));
    expect(first.queued.map((m) => (m.payload as { contact: { event: string } }).contact.event)).toEqual(["admission"]);
    expect(await deliverDue(deps)).toMatchObject({ claimed: 1, delivered: 1 });
    received = [];

    // The discharge arrives (the admission's record gains its end date: not a new admission).
    // The admission's record changed (it gained its end date), so it is derived again, under the same id: the
    // outbox keeps the delivered one as it was. The discharge is the one new message.
    const second = await sendCpa(cpaFile([discharged]));
    const firstIds = new Set(first.queued.map((m) => m.id));
    expect(second.queued.filter((m) => firstIds.has(m.id))).toHaveLength(1);
    const fresh = second.queued.filter((m) => !firstIds.has(m.id));
    expect(fresh).toHaveLength(1);
    const message = fresh[0] as { id: string; payload: Record<string, unknown> };
    expect(message.payload).toMatchObject({
      subscription: `Subscription/${subId}`,
      contact: { event: "discharge", date: "2026-11-20" },
    });
    failOnce.add(message.id);

    expect(await deliverDue(deps)).toEqual({ claimed: 1, delivered: 0, retried: 1, dead: 0 });
    expect(await store.getOutbox(message.id)).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 503" });
    now += 10_000; // before the retry is due: nothing
    expect(await deliverDue(deps)).toMatchObject({ claimed: 0 });
    now += 25_000;
    expect(await deliverDue(deps)).toEqual({ claimed: 1, delivered: 1, retried: 0, dead: 0 });
    now += 3_600_000;
    expect(await deliverDue(deps)).toMatchObject({ claimed: 0 });

    // Two attempts, one accepted, both the same notification under the same idempotency key.
    expect(received.map((r) => r.key)).toEqual([message.id, message.id]);
    expect(received[0]?.body).toBe(received[1]?.body);
    expect((await store.getOutbox(message.id))?.status).toBe("delivered");
    expect(received[1]?.authorization).toBe("Bearer la-endpoint-secret");

    // The signature verifies against the gateway's published key set, over the exact body.
    const delivery = received[1] as Received;
    const jwks = createRemoteJWKSet(new URL(JWKS_URL));
    const bytes = new TextEncoder().encode(delivery.body);
    const verified = await compactVerify(attachPayload(delivery.signature, bytes), jwks);
    expect(verified.protectedHeader).toMatchObject({ alg: "ES256", kid: "gw-2026-11" });
    expect(new TextDecoder().decode(verified.payload)).toBe(delivery.body);
    const tampered = attachPayload(
      delivery.signature,
      new TextEncoder().encode(delivery.body.replace("discharge", "admission")),
    );
    await expect(compactVerify(tampered, jwks)).rejects.toThrow();

    // The R4 backport notification: a history Bundle opening with the subscription status, event number 2.
    const bundle = JSON.parse(delivery.body) as {
      type: string;
      id: string;
      entry: {
        fullUrl?: string;
        resource?: {
          parameter: {
            name: string;
            valueString?: string;
            part?: { name: string; valueString?: string; valueReference?: { reference: string } }[];
          }[];
        };
        request: { url: string };
      }[];
    };
    expect(bundle.type).toBe("history");
    expect(bundle.id).toBe(message.id);
    const params = bundle.entry[0]?.resource?.parameter ?? [];
    expect(params.find((p) => p.name === "events-since-subscription-start")?.valueString).toBe("2");
    const event = params.find((p) => p.name === "notification-event");
    expect(event?.part?.find((p) => p.name === "event-number")?.valueString).toBe("2");
    expect(event?.part?.find((p) => p.name === "focus")?.valueReference?.reference).toBe(
      `${BASE}/${String(message.payload.focus)}`,
    );
    expect(bundle.entry[0]?.request.url).toBe(`${BASE}/Subscription/${subId}/$status`);
    expect(bundle.entry[1]?.fullUrl).toBe(`${BASE}/${String(message.payload.focus)}`);

    // Re-sending the same file changes nothing and queues nothing; deriving the same writes again adds no message.
    now += 86_400_000;
    const again = await sendCpa(cpaFile([discharged]));
    expect(again.report.counts).toMatchObject({ unchanged: 1, created: 0, updated: 0 });
    expect(again.queued).toEqual([]);
    await store.commit({
      outbox: (await notificationsDeriver.derive({ view: storeView(store), touched: second.touched })).outbox ?? [],
    });
    expect(await deliverDue(deps)).toMatchObject({ claimed: 0 });
    expect(received).toHaveLength(2);

    // The delivery log: a retry, then the delivery, with the event number; no identifying value anywhere.
    const log = await store.readLog(DELIVERY_LOG, 0, 100);
    expect(log.map((e) => [e.payload.outcome, e.payload.eventNumber, e.payload.httpStatus])).toEqual([
      ["delivered", 1, 202],
      ["retry-scheduled", 2, 503],
      ["delivered", 2, 202],
    ]);
    const everything = JSON.stringify(log) + lines.join("\n");
    for (const v of IDENTIFYING) expect(everything).not.toContain(v);
    expect(everything).not.toContain("la-endpoint-secret");
  });

  it("dead-letters after the configured attempts, logs it, and tries no more", async () => {
    await subscribe(DEAD_ENDPOINT);
    const { queued } = await sendCpa(cpaFile([discharged]));
    expect(queued.map((m) => (m.payload as { contact: { event: string } }).contact.event).sort()).toEqual([
      "admission",
      "discharge",
    ]);
    for (let i = 0; i < 3; i++) {
      await deliverDue(deps);
      now += 3_600_000;
    }
    for (const m of queued) expect(await store.getOutbox(m.id)).toMatchObject({ status: "dead", attempts: 3 });
    expect(await deliverDue(deps)).toMatchObject({ claimed: 0 });
    const outcomes = (await store.readLog(DELIVERY_LOG, 0, 100)).map((e) => e.payload.outcome);
    expect(outcomes.filter((o) => o === "dead")).toHaveLength(2);
    expect(outcomes.filter((o) => o === "retry-scheduled")).toHaveLength(4);
    for (const v of IDENTIFYING) expect(lines.join("\n")).not.toContain(v);
  });

  it("dead-letters at once when the Subscription was switched off before delivery", async () => {
    const subId = await subscribe();
    const { queued } = await sendCpa(cpaFile([admission]));
    const current = (await store.read("Subscription", subId))?.resource as Record<string, unknown>;
    await put(store, [{ ...current, resourceType: "Subscription", id: subId, status: "off" }]);
    expect(await deliverDue(deps)).toMatchObject({ claimed: 1, dead: 1 });
    expect(await store.getOutbox(queued[0]?.id ?? "")).toMatchObject({
      status: "dead",
      lastError: "subscription not active",
    });
    expect(received).toEqual([]);
  });
});
