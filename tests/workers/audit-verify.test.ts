// The audit chain on D1 inside workerd: appends land in order with their searchable copies, verify passes, and a
// raw-SQL change, deletion or swap of one row makes verify (and GET /audit/verify) name that entry.
import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildAuditEvent } from "../../src/audit/audit-event.js";
import { AUDIT_STREAM, recordAudit } from "../../src/audit/audit-log.js";
import { verifyAuditLog } from "../../src/audit/verify.js";
import { d1Store } from "../../src/store/d1/index.js";
import type { Store } from "../../src/store/port.js";
import { recordReads, S47_PERMIT, SOCIAL_WORKER } from "../node/audit-fixtures.js";
import { createTestApp } from "../support/test-app.js";

let store: Store;
let block = 0;
const sql = (text: string) => env.DB.prepare(text).run();

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  store = d1Store(env.DB);
});

/** Drops migration 0007's append-only triggers, as a database owner could. */
const unguard = () =>
  env.DB.batch([
    env.DB.prepare("DROP TRIGGER IF EXISTS log_entries_no_update"),
    env.DB.prepare("DROP TRIGGER IF EXISTS log_entries_no_delete"),
  ]);

// Each test starts a fresh chain under the triggers again; AuditEvent ids come from a block of their own.
beforeEach(async () => {
  await unguard();
  await sql(`DELETE FROM log_entries WHERE stream = '${AUDIT_STREAM}'`);
  const m0007 = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0007_"));
  for (const q of m0007?.queries ?? []) await sql(q);
  block += 100;
});

const record = (n: number) => recordReads(store, n, block);
const id = (i: number) => `a${String(block + i).padStart(4, "0")}`;

describe("audit chain on D1", () => {
  it("appends in order with searchable copies, and verifies intact", async () => {
    const ids = await record(5);
    const log = await store.readLog(AUDIT_STREAM, 0, 10);
    expect(log.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await store.read("AuditEvent", ids[0] as string))?.resource).toEqual(log[0]?.payload);
    expect(await verifyAuditLog(store, { pageSize: 2 })).toMatchObject({ ok: true, count: 5 });
  });

  it("lands 40 concurrent appends (a full group commit and a partial one)", async () => {
    const event = (i: number) =>
      buildAuditEvent({
        id: `c${block + i}`,
        recorded: new Date("2026-12-02T10:00:00Z"),
        actor: SOCIAL_WORKER,
        access: { interaction: "read", resourceType: "Patient", resource: "Patient/p1" },
        decision: S47_PERMIT,
        source: { name: "Think Family Gateway" },
      });
    await Promise.all(Array.from({ length: 40 }, (_, i) => recordAudit(store, event(i))));
    expect(await verifyAuditLog(store)).toMatchObject({ ok: true, count: 40 });
  });

  it("refuses a raw UPDATE or DELETE of an audit row (migration 0007's triggers)", async () => {
    await record(2);
    await expect(sql("UPDATE log_entries SET payload = '{}' WHERE seq = 1")).rejects.toThrow(/append-only/);
    await expect(sql("DELETE FROM log_entries WHERE seq = 2")).rejects.toThrow(/append-only/);
    expect(await verifyAuditLog(store)).toMatchObject({ ok: true, count: 2 });
  });

  it("names an entry whose payload was changed", async () => {
    await record(6);
    await unguard();
    await sql(`UPDATE log_entries SET payload = replace(payload, 'practitioner', 'manager') WHERE seq = 4`);
    expect(await verifyAuditLog(store, { pageSize: 3 })).toEqual({
      ok: false,
      count: 3,
      broken: { seq: 4, id: id(3), kind: "altered" },
    });
  });

  it("names a deleted entry as missing", async () => {
    await record(6);
    await unguard();
    await sql("DELETE FROM log_entries WHERE seq = 3");
    expect(await verifyAuditLog(store)).toEqual({ ok: false, count: 2, broken: { seq: 3, kind: "missing" } });
  });

  it("names the first of two swapped entries", async () => {
    await record(6);
    await unguard();
    await env.DB.batch([
      env.DB.prepare("UPDATE log_entries SET seq = -1 WHERE seq = 2"),
      env.DB.prepare("UPDATE log_entries SET seq = 2 WHERE seq = 5"),
      env.DB.prepare("UPDATE log_entries SET seq = 5 WHERE seq = -1"),
    ]);
    expect(await verifyAuditLog(store)).toEqual({
      ok: false,
      count: 1,
      broken: { seq: 2, id: id(4), kind: "altered" },
    });
  });

  it("GET /audit/verify answers 409 naming the entry", async () => {
    await record(4);
    await unguard();
    await sql(`UPDATE log_entries SET recorded = '2020-01-01T00:00:00.000Z' WHERE seq = 2`);
    const t = await createTestApp(store);
    const token = await t.issuer.sign({
      sub: "lead-1",
      org: "316",
      org_type: "la-childrens-services",
      role: "safeguarding-lead",
      purpose_of_use: "quality-audit",
    });
    const res = await t.app.request("http://gw.test/audit/verify", { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { broken: unknown; issue: { diagnostics: string }[] };
    expect(body.broken).toEqual({ seq: 2, id: id(1), kind: "altered" });
    expect(body.issue[0]?.diagnostics).toContain(`entry 2 (AuditEvent/${id(1)})`);
  });
});
