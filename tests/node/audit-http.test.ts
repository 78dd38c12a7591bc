// The audit over HTTP (SQLite): who may read AuditEvents, that each read of them is audited once, that a system may
// record its own AuditEvents into the chain and nothing else may write one, that a read is refused when its audit cannot be written, and /audit/verify.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildAuditEvent } from "../../src/audit/audit-event.js";
import { AUDIT_STREAM } from "../../src/audit/audit-log.js";
import { validateResource } from "../../src/fhir/validation/index.js";
import type { ChangeSet, Store } from "../../src/store/port.js";
import { createTestApp, type TestApp } from "../support/test-app.js";
import { PRACTITIONER } from "../support/tokens.js";
import { NO_RELATIONSHIP, recordReads, S47_PERMIT, SOCIAL_WORKER } from "./audit-fixtures.js";
import { AUDIT_STORES, type TamperableStore } from "./audit-stores.js";

const LEAD = { ...PRACTITIONER, sub: "lead-1", role: "safeguarding-lead", purpose_of_use: "quality-audit" };

// biome-ignore lint/suspicious/noExplicitAny: test assertions walk FHIR JSON freely.
type Json = Record<string, any>;

/** `store` with a commit that fails whenever it writes to a log. */
function auditFailing(store: Store): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "commit") {
        return (cs: ChangeSet) => (cs.log?.length ? Promise.reject(new Error("log unavailable")) : target.commit(cs));
      }
      const v = (target as unknown as Record<PropertyKey, unknown>)[prop];
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("AuditEvent resources", () => {
  it.each([
    [
      "a permitted read",
      { interaction: "read", resourceType: "Patient", resource: "Patient/p1", patient: "Patient/p1" },
      S47_PERMIT,
    ],
    [
      "a denied search",
      {
        interaction: "search",
        resourceType: "Flag",
        query: [
          ["subject", "Patient/p1"],
          ["code", "x|y"],
        ],
      },
      NO_RELATIONSHIP,
    ],
    ["an operation", { interaction: "operation", resourceType: "Patient", operation: "$household-check" }, S47_PERMIT],
  ] as const)("are valid R4 and TFG-AuditEvent for %s", (_label, access, decision) => {
    const event = buildAuditEvent({
      id: "e1",
      recorded: new Date("2026-12-02T10:00:00Z"),
      actor: SOCIAL_WORKER,
      access: access as never,
      decision,
      source: { name: "Think Family Gateway" },
    });
    const errors = validateResource(event).filter((i) => i.severity === "error" || i.severity === "fatal");
    expect(errors).toEqual([]);
  });

  it("record the decision: outcome, level, legal basis, rule, obligations, reasons, purpose, org and role", () => {
    const event = buildAuditEvent({
      id: "e2",
      recorded: new Date("2026-12-02T10:00:00Z"),
      actor: SOCIAL_WORKER,
      access: { interaction: "read", resourceType: "Patient", resource: "Patient/p1", patient: "Patient/p1" },
      decision: S47_PERMIT,
      source: { name: "Think Family Gateway" },
    }) as Json;
    expect(event.outcome).toBe("0");
    expect(event.type.code).toBe("rest");
    expect(event.subtype[0]).toMatchObject({ system: "http://hl7.org/fhir/restful-interaction", code: "read" });
    expect(event.action).toBe("R");
    expect(event.recorded).toBe("2026-12-02T10:00:00.000Z");
    const [user, org] = event.agent;
    expect(user).toMatchObject({ requestor: true, who: { identifier: { value: "sw-0001" } } });
    expect(user.purposeOfUse[0].coding[0].code).toBe("safeguarding-s47");
    expect(user.role[0].coding[0].code).toBe("practitioner");
    expect(org.who.identifier.value).toBe("316");
    expect(org.role[0].coding[0].code).toBe("la-childrens-services");
    const patient = event.entity[0];
    expect(patient.what.reference).toBe("Patient/p1");
    const detail = Object.fromEntries(patient.detail.map((d: Json) => [d.type, d.valueString]));
    expect(detail).toMatchObject({
      decision: "permit",
      "disclosure-level": "summary",
      rule: "csc-s47-household-adult",
      "legal-basis": "Children Act 1989 s47; DPA 2018 Sch. 1 Part 2 para 18",
      obligation: "notify-adult-safeguarding-lead",
    });
  });

  it("keep a search's query with every value but references and codes withheld", () => {
    const event = buildAuditEvent({
      id: "e3",
      recorded: new Date("2026-12-02T10:00:00Z"),
      actor: SOCIAL_WORKER,
      access: {
        interaction: "search",
        resourceType: "Patient",
        query: [
          ["identifier", "https://fhir.nhs.uk/Id/nhs-number|9990000018"],
          ["birthdate", "1980-05-12"],
          ["family", "Smith"],
          ["_id", "p1"],
          ["general-practitioner", "Practitioner/x1"],
        ],
      },
      decision: NO_RELATIONSHIP,
      source: { name: "Think Family Gateway" },
    }) as Json;
    expect(event.outcome).toBe("4");
    const query = event.entity.find((e: Json) => e.role?.code === "24");
    const text = new TextDecoder().decode(Uint8Array.from(atob(query.query), (ch) => ch.charCodeAt(0)));
    expect(text).toBe("Patient?identifier=*&birthdate=*&family=*&_id=p1&general-practitioner=Practitioner%2Fx1");
    expect(JSON.stringify(event)).not.toMatch(/9990000018|1980|Smith/);
  });
});

describe("audit over HTTP", () => {
  let t: TestApp;
  let db: TamperableStore;
  let lead: string;
  const as = (token: string, path: string, init: RequestInit & { json?: unknown } = {}) =>
    t.fhir(path, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  afterEach(() => db.close());
  const log = async () => t.store.readLog(AUDIT_STREAM, 0, 1000);

  beforeEach(async () => {
    db = await (AUDIT_STORES[0] as (typeof AUDIT_STORES)[number])[1]();
    t = await createTestApp(db.store);
    lead = await t.issuer.sign(LEAD);
    await recordReads(t.store, 3);
  });

  it("answers who looked at a patient's record to a safeguarding lead, and audits that read once", async () => {
    const res = await as(lead, "/fhir/AuditEvent?entity=Patient/p1");
    expect(res.status).toBe(200);
    const bundle = (await res.json()) as Json;
    expect(bundle.total).toBe(1);
    expect(bundle.entry[0].resource.agent[0].who.identifier.value).toBe("sw-0001");
    const entries = await log();
    expect(entries).toHaveLength(4);
    const read = entries[3]?.payload as Json;
    expect(read.agent[0].who.identifier.value).toBe("lead-1");
    expect(read.subtype[0].code).toBe("search");
    expect(read.entity[0].what.reference).toBe("Patient/p1");
    // The read of the audit is itself visible to the next reader.
    const again = (await (await as(lead, "/fhir/AuditEvent?patient=p1")).json()) as Json;
    expect(again.total).toBe(2);
  });

  it("audits reads by id and POST _search", async () => {
    expect((await as(lead, "/fhir/AuditEvent/a0000")).status).toBe(200);
    const form = await as(lead, "/fhir/AuditEvent/_search", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "entity=Patient/p2",
    });
    expect(form.status).toBe(200);
    expect(((await form.json()) as Json).total).toBe(1);
    const entries = await log();
    expect(entries.map((e) => (e.payload as Json).subtype[0].code).slice(3)).toEqual(["read", "search"]);
  });

  it("refuses a practitioner (403) and records the deny", async () => {
    const res = await t.fhir("/fhir/AuditEvent?entity=Patient/p1");
    expect(res.status).toBe(403);
    expect(((await res.json()) as Json).resourceType).toBe("OperationOutcome");
    const last = (await log()).at(-1)?.payload as Json;
    expect(last.outcome).toBe("4");
    expect(last.agent[0].who.identifier.value).toBe("practitioner-1");
    expect((await t.fhir("/fhir/AuditEvent/a0000")).status).toBe(403);
  });

  it("refuses a read whose audit record cannot be written (503), never serving it unaudited", async () => {
    const broken = await createTestApp(auditFailing(t.store));
    const token = await broken.issuer.sign(LEAD);
    const res = await broken.fhir("/fhir/AuditEvent?entity=Patient/p1", {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(503);
    const body = (await res.json()) as Json;
    expect(body.resourceType).toBe("OperationOutcome");
    expect(JSON.stringify(body)).not.toContain("sw-0001");
  });

  const SYSTEM = { ...PRACTITIONER, sub: "epr-1", role: "system", purpose_of_use: "direct-care" };
  const received = {
    resourceType: "AuditEvent",
    type: { system: "http://dicom.nema.org/resources/ontology/DCM", code: "110110", display: "Patient Record" },
    action: "R",
    recorded: "2026-12-01T09:00:00Z",
    outcome: "0",
    agent: [{ who: { display: "EPR user 42" }, requestor: true }],
    source: { observer: { display: "Trust EPR" } },
  };

  it("records a system's AuditEvent in the chain: owned by its organisation, tagged received, version 1", async () => {
    const system = await t.issuer.sign(SYSTEM);
    const before = (await log()).length;
    const res = await as(system, "/fhir/AuditEvent", { method: "POST", json: received });
    expect(res.status).toBe(201);
    const stored = (await res.json()) as Json;
    expect(stored.meta.versionId).toBe("1");
    expect(stored.meta.tag).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: "received" }),
        expect.objectContaining({ code: SYSTEM.org }),
      ]),
    );
    const entries = await log();
    expect(entries).toHaveLength(before + 1);
    expect(entries.at(-1)?.payload.id).toBe(stored.id);
    const verified = (await (await as(lead, "/audit/verify")).json()) as Json;
    expect(verified.ok).toBe(true);
    // Never changed or deleted afterwards, by its sender either.
    for (const method of ["PUT", "DELETE"]) {
      const changed = await as(system, `/fhir/AuditEvent/${stored.id}`, {
        method,
        json: { ...received, id: stored.id },
      });
      expect(changed.status).toBe(405);
    }
    expect((await t.store.read("AuditEvent", stored.id))?.versionId).toBe(1);
  });

  it.each([
    ["a safeguarding lead", LEAD],
    ["a practitioner", PRACTITIONER],
  ])("refuses an AuditEvent recorded by %s (403) and writes nothing", async (_who, claims) => {
    const before = (await log()).length;
    const res = await as(await t.issuer.sign(claims), "/fhir/AuditEvent", { method: "POST", json: received });
    expect(res.status).toBe(403);
    expect((await log()).length).toBe(before);
  });

  it("refuses a received AuditEvent that claims the gateway's own profile (422 at meta.profile), and an invalid one", async () => {
    const system = await t.issuer.sign(SYSTEM);
    const before = (await log()).length;
    const forged = await as(system, "/fhir/AuditEvent", { method: "POST", json: valid("forged") });
    expect(forged.status).toBe(422);
    expect(JSON.stringify(await forged.json())).toContain("AuditEvent.meta.profile[0]");
    const invalid = await as(system, "/fhir/AuditEvent", { method: "POST", json: { ...received, action: "X" } });
    expect(invalid.status).toBe(422);
    expect((await log()).length).toBe(before);
  });

  it.each([
    ["PUT", "/fhir/AuditEvent/a0000"],
    ["PATCH", "/fhir/AuditEvent/a0000"],
    ["DELETE", "/fhir/AuditEvent/a0000"],
  ])("refuses %s %s with 405, for a safeguarding lead too", async (method, path) => {
    const res = await as(lead, path, {
      method,
      json: { resourceType: "AuditEvent", id: "a0000" },
    });
    expect(res.status).toBe(405);
    expect(((await res.json()) as Json).resourceType).toBe("OperationOutcome");
    expect((await t.store.read("AuditEvent", "a0000"))?.deleted).toBe(false);
  });

  const valid = (id: string) =>
    buildAuditEvent({
      id,
      recorded: new Date("2026-12-02T10:00:00Z"),
      actor: SOCIAL_WORKER,
      access: { interaction: "read", resourceType: "Patient", resource: "Patient/p1" },
      decision: S47_PERMIT,
      source: { name: "forged" },
    });

  it.each([
    ["POST", "AuditEvent", valid("forged")],
    ["PUT", "AuditEvent/a0000", valid("a0000")],
    ["DELETE", "AuditEvent/a0000", undefined],
  ])("refuses a (valid) transaction entry %s %s with 405 and writes nothing", async (method, url, resource) => {
    const res = await as(lead, "/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [{ request: { method, url }, ...(resource ? { resource } : {}) }],
      },
    });
    expect(res.status).toBe(405);
    expect((await t.store.read("AuditEvent", "a0000"))?.versionId).toBe(1);
  });

  it("refuses a transaction that reads AuditEvents in a GET entry (403), for a safeguarding lead too", async () => {
    const res = await as(lead, "/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [{ request: { method: "GET", url: "AuditEvent/a0000" } }],
      },
    });
    expect(res.status).toBe(403);
    const body = (await res.json()) as Json;
    expect(body.issue[0].expression).toEqual(["Bundle.entry[0].request.url"]);
    // Unauthenticated, the same request is a 401 first.
    const anon = await t.app.request("http://gw.test/fhir", {
      method: "POST",
      headers: { "Content-Type": "application/fhir+json" },
      body: JSON.stringify({
        resourceType: "Bundle",
        type: "transaction",
        entry: [{ request: { method: "GET", url: "AuditEvent/a0000" } }],
      }),
    });
    expect(anon.status).toBe(401);
  });

  it("refuses _revinclude of AuditEvents into another search", async () => {
    const res = await as(lead, "/fhir/Patient?_revinclude=AuditEvent:entity");
    expect(res.status).toBe(403);
    const post = await as(lead, "/fhir/Patient/_search", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "_revinclude=AuditEvent:patient",
    });
    expect(post.status).toBe(403);
    expect((await as(lead, "/fhir/Patient?_revinclude=Flag:subject")).status).toBe(200);
  });

  it("verifies the chain for a safeguarding lead, and names the entry a raw change broke (409)", async () => {
    const ok = await t.app.request("http://gw.test/audit/verify", { headers: { Authorization: `Bearer ${lead}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, count: 3 });
    const entries = await log();
    await db.sql(db.unguard);
    await db.sql("UPDATE log_entries SET payload = replace(payload, 'Patient/p1', 'Patient/p7') WHERE seq = 2");
    const bad = await t.app.request("http://gw.test/audit/verify", { headers: { Authorization: `Bearer ${lead}` } });
    expect(bad.status).toBe(409);
    const outcome = (await bad.json()) as Json;
    expect(outcome.resourceType).toBe("OperationOutcome");
    expect(outcome.issue[0].diagnostics).toContain(`entry 2 (AuditEvent/${entries[1]?.payload.id})`);
    expect(outcome.broken).toEqual({ seq: 2, id: entries[1]?.payload.id, kind: "altered" });
  });

  it("checks ?head= against the chain, and refuses a malformed one (400)", async () => {
    const get = (q: string) =>
      t.app.request(`http://gw.test/audit/verify${q}`, { headers: { Authorization: `Bearer ${lead}` } });
    const first = (await (await get("")).json()) as Json;
    expect((await get(`?head=${first.head.seq}:${first.head.hash}`)).status).toBe(200);
    expect((await get(`?head=${first.head.seq + 5}:${first.head.hash}`)).status).toBe(409);
    expect((await get("?head=x")).status).toBe(400);
    const after = (await (await get(`?from=${first.head.seq}:${first.head.hash}`)).json()) as Json;
    expect(after).toMatchObject({ ok: true, after: first.head.seq });
    expect((await get("?from=1:zz")).status).toBe(400);
  });

  it.each([
    ["no token", "/fhir/AuditEvent?entity=Patient/p1", false, 401],
    ["a broken percent escape", "/fhir/AuditEvent?entity=%ZZ", true, 400],
    ["101 parameters", `/fhir/AuditEvent?${Array.from({ length: 101 }, (_, i) => `_count=${i}`).join("&")}`, true, 400],
    ["an unknown operation", "/fhir/AuditEvent/$purge", true, 400],
    ["an unknown instance operation", "/fhir/AuditEvent/a0000/$purge", true, 400],
  ])("answers hostile input (%s) with an OperationOutcome, never a 500", async (_what, path, withToken, status) => {
    const res = withToken ? await as(lead, path) : await t.app.request(`http://gw.test${path}`);
    expect(res.status).toBe(status);
    if (status !== 200) expect(((await res.json()) as Json).resourceType).toBe("OperationOutcome");
  });

  it("refuses verify to a practitioner", async () => {
    const res = await t.app.request("http://gw.test/audit/verify", { headers: { Authorization: `Bearer ${t.token}` } });
    expect(res.status).toBe(403);
    expect((await t.app.request("http://gw.test/audit/verify")).status).toBe(401);
  });
});
