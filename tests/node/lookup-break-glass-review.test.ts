// Marking break-glass reads reviewed (docs/LOOKUPS.md) over HTTP, on SQLite with the audit trail in its own store (as
// the Node gateway keeps it): a break-glass /fhir read writes its review Task (a deny or another permit does not); the
// queue lists it, found by a Task search whose cost does not depend on the audit trail; the lead of the user's
// organisation reviews it (out of the default list, under status=completed); every refusal — wrong role, another
// organisation's lead, unknown id, bad outcome, too-long note, stale If-Match, a REST write — changes nothing and is
// audited; a second review with the same outcome is 200 unchanged, another outcome 409, also when two arrive at once.
import { beforeAll, describe, expect, it } from "vitest";
import { recordAudit } from "../../src/audit/audit-log.js";
import { BREAK_GLASS_REVIEW_CODE } from "../../src/audit/break-glass-review-task.js";
import { NOTICE_CODE_SYSTEM } from "../../src/audit/notice-task.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { auditRoutedStore } from "../../src/store/audit-routed.js";
import type { SearchRequest, Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

type Json = Record<string, unknown>;
type Entry = Json & { task: string; status: string; entities: string[]; reviewed?: Json };
type Queue = Json & { entries: Entry[]; awaitingReview: number; total: number; next?: string };

const TODAY = new Date("2026-04-15T10:00:00.000Z");
const REASON = "Child found alone at the address; police on scene";
const LA = "992";
let now = TODAY;
let t: TestApp;
let main: Store;
let trail: Store;
/** The store calls of the current recording, as `method resourceType`. */
let calls: string[] | undefined;
let searches: SearchRequest[] = [];

/** Records what the queue asks of the store. */
function spied(store: Store): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (calls) {
          if (key === "search") {
            const r = args[0] as SearchRequest;
            searches.push(r);
            calls.push(`search ${r.resourceType}`);
          } else if (key === "readMany") {
            const keys = args[0] as { resourceType: string }[];
            calls.push(`readMany ${[...new Set(keys.map((k) => k.resourceType))].join(",")}`);
          } else if (key === "scanCurrent" || key === "historyAcross" || key === "readLog") calls.push(String(key));
        }
        return value.apply(target, args);
      };
    },
  });
}

const token = (org: string, role: string, purpose: string, orgType = "la-childrens-services") =>
  t.issuer.sign({ sub: `u-${role}-${org}`, org, org_type: orgType, role, purpose_of_use: purpose });

async function call(path: string, init: RequestInit & { as: Promise<string> }): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${await init.as}`);
  return t.app.request(`http://gw.test${path}`, { ...init, headers });
}

const lead = (org = LA) => token(org, "safeguarding-lead", "quality-audit", org === LA ? undefined : "mh-trust");

async function queue(query = "", as = lead()): Promise<{ status: number; body: Queue }> {
  const res = await call(`/reports/break-glass${query}`, { as });
  return { status: res.status, body: (await res.json()) as Queue };
}

async function review(id: string, body: unknown, as = lead(), headers: Record<string, string> = {}) {
  const res = await call(`/reports/break-glass/${id}/review`, {
    as,
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** A break-glass read of `patient` by LA 992's practitioner, with a reason (or none: `null`). */
async function breakGlassRead(patient: string, reason: string | null = REASON) {
  const res = await call(`/fhir/Patient/${patient}`, {
    as: token(LA, "practitioner", "break-glass"),
    headers: reason === null ? {} : { "X-Access-Reason": reason },
  });
  return res.status;
}

const reviewTasks = async () =>
  (
    await main.search({
      resourceType: "Task",
      criteria: [
        { kind: "token", param: "code", values: [{ system: NOTICE_CODE_SYSTEM, value: BREAK_GLASS_REVIEW_CODE }] },
      ],
      count: 1000,
      sort: "id",
    })
  ).versions;

/** The AuditEvents of reviews, in the order recorded (the audit log). */
const reviewAudits = async () =>
  (await trail.readLog("audit", 0, 10_000))
    .map((l) => l.payload as Json)
    .filter((e) => ((e.entity as Json[]) ?? []).some((x) => x.name === "break-glass-review-outcome"));

const patients: string[] = [];

beforeAll(async () => {
  main = await openSqliteStore(":memory:", loadMigrations());
  trail = await openSqliteStore(":memory:", loadMigrations());
  t = await createTestApp(spied(auditRoutedStore(main, trail)), {}, { clock: () => now });
  for (const nhs of ["9990000018", "9990000026", "9990000034", "9990000042"]) {
    const res = await call("/fhir/Patient", {
      as: token("RX4", "practitioner", "direct-care", "mh-trust"),
      method: "POST",
      headers: { "Content-Type": "application/fhir+json" },
      body: JSON.stringify({
        resourceType: "Patient",
        identifier: [{ system: "https://fhir.nhs.uk/Id/nhs-number", value: nhs }],
      }),
    });
    expect(res.status).toBe(201);
    patients.push(((await res.json()) as Json).id as string);
  }
});

describe("the review Task of a break-glass read", () => {
  it("a break-glass read writes one (in the data store; its AuditEvent in the audit store); a deny or another permit none", async () => {
    expect(await breakGlassRead(patients[0] as string, null)).toBe(404); // no reason: break-glass-refused
    expect(await breakGlassRead(patients[0] as string, "   ")).toBe(404);
    expect(await reviewTasks()).toEqual([]);
    const own = await call(`/fhir/Patient/${patients[0]}`, {
      as: token("RX4", "practitioner", "direct-care", "mh-trust"),
    });
    expect(own.status).toBe(200); // recording-organisation: no review
    expect(await reviewTasks()).toEqual([]);
    now = new Date(TODAY.getTime() + 60_000);
    expect(await breakGlassRead(patients[0] as string)).toBe(200);
    const [task, ...more] = (await reviewTasks()).map((v) => v.resource as Json);
    expect(more).toEqual([]);
    expect(task).toMatchObject({
      status: "requested",
      for: { reference: `Patient/${patients[0]}` },
      owner: { identifier: { value: LA } },
      requester: { identifier: { value: `u-practitioner-${LA}` } },
      authoredOn: now.toISOString(),
      // A /fhir read's permit ends when the protocol says (PT4H), as a lookup's does.
      restriction: { period: { end: new Date(now.getTime() + 4 * 3_600_000).toISOString() } },
    });
    const focus = String((task?.focus as { reference?: string } | undefined)?.reference).split("/")[1] as string;
    expect(await trail.read("AuditEvent", focus)).toBeDefined();
    expect(await main.read("AuditEvent", focus)).toBeUndefined();
    expect(JSON.stringify(task)).not.toContain("police on scene");
  });
});

describe("the queue", () => {
  it("lists it for the lead of the user's organisation, from the Task and its AuditEvent", async () => {
    const { status, body } = await queue();
    expect(status).toBe(200);
    expect(body).toMatchObject({ organisation: LA, status: "requested", awaitingReview: 1, total: 1 });
    expect(body.entries).toHaveLength(1);
    expect(body.entries[0]).toMatchObject({
      status: "requested",
      recorded: now.toISOString(),
      user: { subject: `u-practitioner-${LA}` },
      role: "practitioner",
      rule: "break-glass",
      entities: [`Patient/${patients[0]}`],
      expires: new Date(now.getTime() + 4 * 3_600_000).toISOString(),
      expired: false,
    });
    expect(body.entries[0]?.reviewed).toBeUndefined();
    // Another organisation's lead sees none of it.
    expect((await queue("", lead("RX4"))).body.entries).toEqual([]);
  });

  it("is a Task search (code, owner tag, status), whatever the number of unrelated AuditEvents", async () => {
    const record = async () => {
      calls = [];
      searches = [];
      const { body } = await queue();
      const seen = { calls, searches };
      calls = undefined;
      return { body, ...seen };
    };
    const before = await record();
    expect(before.calls.filter((c) => c.startsWith("search"))).toEqual(["search Task"]);
    expect(before.calls).not.toContain("search AuditEvent");
    expect(before.calls).not.toContain("scanCurrent");
    const [search] = before.searches;
    expect(search?.criteria.map((c) => (c.kind === "token" ? c.param : c.kind)).sort()).toEqual([
      "_tag",
      "code",
      "status",
    ]);
    // 300 unrelated AuditEvents later, the queue asks exactly the same of the store.
    for (let i = 0; i < 300; i++) {
      await recordAudit(t.store, {
        resourceType: "AuditEvent",
        id: `unrelated-${i}`,
        recorded: TODAY.toISOString(),
        type: { system: "http://terminology.hl7.org/CodeSystem/audit-event-type", code: "rest" },
        agent: [{ requestor: true }],
        source: { observer: { display: "test" } },
      });
    }
    const after = await record();
    expect(after.calls).toEqual(before.calls);
    expect(after.body.entries).toEqual(before.body.entries);
  });

  it("only a safeguarding lead reads it; a bad status or parameter is a 400 naming it", async () => {
    expect((await queue("", token(LA, "practitioner", "quality-audit"))).status).toBe(403);
    const bad = await queue("?status=open");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('"status"');
    expect((await queue("?colour=red")).status).toBe(400);
  });
});

describe("marking one reviewed", () => {
  let id: string;
  const version = async () => (await main.read("Task", id))?.versionId;

  beforeAll(async () => {
    id = ((await queue()).body.entries[0]?.task ?? "").slice("Task/".length);
    expect(id).not.toBe("");
  });

  it("refuses, changing nothing and auditing each refusal: wrong role, other organisation's lead, unknown id, bad body", async () => {
    const audits = (await reviewAudits()).length;
    const v = await version();
    const refusals: [Awaited<ReturnType<typeof review>>, number, string | undefined][] = [
      [await review(id, { outcome: "appropriate" }, token(LA, "practitioner", "break-glass")), 403, undefined],
      [await review(id, { outcome: "appropriate" }, token(LA, "manager", "quality-audit")), 403, undefined],
      [await review(id, { outcome: "appropriate" }, lead("RX4")), 403, undefined],
      [await review("no-such-task", { outcome: "appropriate" }), 404, undefined],
      [await review(id, { outcome: "fine" }), 400, "outcome"],
      [await review(id, {}), 400, "outcome"],
      [await review(id, { outcome: "appropriate", note: "x".repeat(1001) }), 400, "note"],
      [await review(id, { outcome: "appropriate", note: 7 }), 400, "note"],
      [await review(id, "{not json"), 400, "body"],
      [await review(id, { outcome: "appropriate" }, lead(), { "If-Match": 'W/"9"' }), 412, undefined],
    ];
    for (const [res, status, field] of refusals) {
      expect(res.status).toBe(status);
      expect(res.body.resourceType).toBe("OperationOutcome");
      if (field) expect((res.body.issue as { expression?: string[] }[])[0]?.expression).toEqual([field]);
      expect(JSON.stringify(res.body)).not.toContain("xxxxxxxxxx");
    }
    expect(await version()).toBe(v);
    expect((await queue()).body.entries.map((e) => e.status)).toEqual(["requested"]);
    const denials = (await reviewAudits()).slice(audits);
    expect(denials.map((e) => e.outcome)).toEqual(refusals.map(() => "4"));
  });

  it("a REST write of the review Task is refused, the user who broke the glass included", async () => {
    const v = await version();
    const task = (await main.read("Task", id))?.resource as Json;
    const put = await call(`/fhir/Task/${id}`, {
      as: token(LA, "practitioner", "direct-care"),
      method: "PUT",
      headers: { "Content-Type": "application/fhir+json" },
      body: JSON.stringify({ ...task, meta: undefined, status: "completed" }),
    });
    expect(put.status).toBe(403);
    expect(JSON.stringify(await put.json())).toContain("written only by the gateway");
    const del = await call(`/fhir/Task/${id}`, { as: token(LA, "safeguarding-lead", "direct-care"), method: "DELETE" });
    expect(del.status).toBe(403);
    expect(await version()).toBe(v);
  });

  it("through /fhir only the organisation's safeguarding lead reads it, not the user who broke the glass", async () => {
    const asUser = await call(`/fhir/Task/${id}`, { as: token(LA, "practitioner", "direct-care") });
    expect(asUser.status).toBe(404);
    const manager = await call(`/fhir/Task/${id}`, { as: token(LA, "manager", "direct-care") });
    expect(manager.status).toBe(404);
    const asLead = await call(`/fhir/Task/${id}`, { as: lead() });
    expect(asLead.status).toBe(200);
    expect(((await asLead.json()) as Json).id).toBe(id);
    const otherLead = await call(`/fhir/Task/${id}`, { as: lead("RX4") });
    expect(otherLead.status).toBe(404);
  });

  it("the lead's review completes it: out of the default list, under status=completed and all, audited", async () => {
    const audits = (await reviewAudits()).length;
    now = new Date(TODAY.getTime() + 3600_000);
    const v = await version();
    const res = await review(id, { outcome: "inappropriate", note: "Spoke to the worker." }, lead(), {
      "If-Match": `W/"${v}"`,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      task: `Task/${id}`,
      status: "completed",
      reviewed: {
        by: { subject: `u-safeguarding-lead-${LA}` },
        at: now.toISOString(),
        outcome: "inappropriate",
        note: "Spoke to the worker.",
      },
    });
    expect(await version()).toBe((v ?? 0) + 1);
    expect((await main.read("Task", id))?.resource).toMatchObject({
      status: "completed",
      lastModified: now.toISOString(),
    });
    expect((await queue()).body).toMatchObject({ entries: [], awaitingReview: 0 });
    const done = (await queue("?status=completed")).body;
    expect(done.entries.map((e) => e.task)).toEqual([`Task/${id}`]);
    expect(done.awaitingReview).toBe(0);
    expect((await queue("?status=all")).body.entries.map((e) => e.status)).toEqual(["completed"]);
    const [event] = (await reviewAudits()).slice(audits);
    expect(event).toMatchObject({ outcome: "0" });
    expect(JSON.stringify(event)).toContain("reviewed: inappropriate");
    expect(JSON.stringify(event)).not.toContain("Spoke to the worker");
  });

  it("again with the same outcome: 200, unchanged; with another: 409, unchanged", async () => {
    const v = await version();
    const same = await review(id, { outcome: "inappropriate" });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ status: "completed", reviewed: { note: "Spoke to the worker." } });
    const other = await review(id, { outcome: "appropriate" });
    expect(other.status).toBe(409);
    expect(other.body.resourceType).toBe("OperationOutcome");
    expect(await version()).toBe(v);
    expect((await reviewAudits()).slice(-2).map((e) => e.outcome)).toEqual(["0", "4"]);
  });
});

describe("paging", () => {
  it("newest first, a page at a time, with a next link that carries the status", async () => {
    for (const p of patients.slice(1)) {
      now = new Date(now.getTime() + 60_000);
      expect(await breakGlassRead(p)).toBe(200);
    }
    const first = (await queue("?_count=2")).body;
    expect(first).toMatchObject({ total: 3, awaitingReview: 3, count: 2 });
    expect(first.entries.map((e) => e.entities[0])).toEqual([`Patient/${patients[3]}`, `Patient/${patients[2]}`]);
    expect(first.next).toMatch(/^http:\/\/gw\.test\/reports\/break-glass\?status=requested&_count=2&_cursor=/);
    const second = (await queue(new URL(first.next as string).search)).body;
    expect(second.entries.map((e) => e.entities[0])).toEqual([`Patient/${patients[1]}`]);
    expect(second.next).toBeUndefined();
    // A cursor of one status is refused for another.
    const cursor = new URL(first.next as string).searchParams.get("_cursor") as string;
    expect((await queue(`?status=all&_cursor=${cursor}`)).status).toBe(400);
  });
});

describe("two reviews at once", () => {
  it("one is written; the other, decided again on what won, is 409 with another outcome or 200 with the same", async () => {
    const [a, b] = (await queue()).body.entries.map((e) => e.task.slice("Task/".length)) as [string, string];
    const clash = await Promise.all([
      review(a, { outcome: "appropriate" }),
      review(a, { outcome: "inappropriate" }, token(LA, "safeguarding-lead", "quality-audit")),
    ]);
    expect(clash.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await main.read("Task", a))?.versionId).toBe(2);
    const same = await Promise.all([review(b, { outcome: "appropriate" }), review(b, { outcome: "appropriate" })]);
    expect(same.map((r) => r.status)).toEqual([200, 200]);
    expect((await main.read("Task", b))?.versionId).toBe(2);
  });
});
