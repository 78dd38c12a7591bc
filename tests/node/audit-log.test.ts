// The audit trail on SQLite (a file) and PostgreSQL: AuditEvents append to a hash chain with a searchable copy,
// concurrent appends all land, and verify names the first entry a raw-SQL change, deletion or reorder broke.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildAuditEvent } from "../../src/audit/audit-event.js";
import { AUDIT_STREAM, AuditWriteError, recordAudit } from "../../src/audit/audit-log.js";
import { describeVerify, verifyAuditLog } from "../../src/audit/verify.js";
import type { ChangeSet, Store } from "../../src/store/port.js";
import { StoreConflictError } from "../../src/store/port.js";
import { recordReads, S47_PERMIT, SOCIAL_WORKER } from "./audit-fixtures.js";
import { AUDIT_STORES, type TamperableStore } from "./audit-stores.js";

const event = (id: string) =>
  buildAuditEvent({
    id,
    recorded: new Date("2026-12-02T10:00:00.000Z"),
    actor: SOCIAL_WORKER,
    access: { interaction: "read", resourceType: "Patient", resource: "Patient/p1", patient: "Patient/p1" },
    decision: S47_PERMIT,
    source: { name: "Think Family Gateway" },
  });

describe.each(AUDIT_STORES)("audit log on %s", (_name, open) => {
  let db: TamperableStore;
  beforeEach(async () => {
    db = await open();
  });
  afterEach(async () => {
    await db.close();
  });

  it("appends each AuditEvent to the chain and stores the same event as a searchable AuditEvent", async () => {
    const ids = await recordReads(db.store, 3);
    const log = await db.store.readLog(AUDIT_STREAM, 0, 10);
    expect(log.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(log.map((e) => e.payload.id)).toEqual(ids);
    const copy = await db.store.read("AuditEvent", ids[0] as string);
    expect(copy?.resource).toEqual(log[0]?.payload);
    const found = await db.store.search({
      resourceType: "AuditEvent",
      criteria: [{ kind: "reference", param: "entity", targets: ["Patient/p1"] }],
      count: 10,
      sort: "id",
    });
    expect(found.versions.map((v) => v.id)).toEqual([ids[1]]);
    expect(await verifyAuditLog(db.store)).toEqual({
      ok: true,
      count: 3,
      head: { seq: 3, hash: log[2]?.hash },
    });
  });

  it("groups 200 concurrent appends in one process into few commits, all landing in one chain", async () => {
    let commits = 0;
    const counting = new Proxy(db.store, {
      get(target, prop) {
        if (prop === "commit") {
          return (cs: ChangeSet) => {
            commits++;
            return target.commit(cs);
          };
        }
        const v = (target as unknown as Record<PropertyKey, unknown>)[prop];
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const stored = await Promise.all(Array.from({ length: 200 }, (_, i) => recordAudit(counting, event(`g${i}`))));
    expect(stored.map((e) => e.id)).toEqual(Array.from({ length: 200 }, (_, i) => `g${i}`));
    expect(commits).toBeLessThan(20);
    const log = await db.store.readLog(AUDIT_STREAM, 0, 300);
    expect(log.map((e) => e.payload.id)).toEqual(stored.map((e) => e.id)); // in the order they were recorded
    expect(await verifyAuditLog(db.store)).toMatchObject({ ok: true, count: 200 });
  });

  it("lands every append when two stores over one database (two processes) append at once", async () => {
    const other = await db.second();
    // Count the lost races, so the test shows the writers really did collide and were retried.
    let conflicts = 0;
    const racing = (s: Store) =>
      new Proxy(s, {
        get(target, prop) {
          if (prop === "commit") {
            return (cs: ChangeSet) =>
              target.commit(cs).catch((err: unknown) => {
                if (err instanceof StoreConflictError) conflicts++;
                throw err;
              });
          }
          const v = (target as unknown as Record<PropertyKey, unknown>)[prop];
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
    const [a, b] = [racing(db.store), racing(other)];
    // Both writers start each round together: both read the same log head, one lands, the other loses the race.
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await Promise.all([recordAudit(a, event(`a${i}`)), recordAudit(b, event(`b${i}`))]);
      }),
    );
    const log = await db.store.readLog(AUDIT_STREAM, 0, 100);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(new Set(log.map((e) => e.payload.id)).size).toBe(40);
    expect(conflicts).toBeGreaterThan(0);
    expect(await verifyAuditLog(db.store, { pageSize: 7 })).toMatchObject({ ok: true, count: 40 });
  });

  it("refuses a raw UPDATE or DELETE of an audit row in the database itself (migration 0007)", async () => {
    await recordReads(db.store, 2);
    await expect(db.sql(`UPDATE log_entries SET payload = '{}' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(db.sql("DELETE FROM log_entries WHERE seq = 2")).rejects.toThrow(/append-only/);
    expect(await verifyAuditLog(db.store)).toMatchObject({ ok: true, count: 2 });
  });

  it("names the entry whose payload was changed with raw SQL", async () => {
    await recordReads(db.store, 12);
    await db.sql(db.unguard);
    await db.sql(
      `UPDATE log_entries SET payload = replace(payload, 'Patient/p4', 'Patient/p9') WHERE stream = 'audit' AND seq = 5`,
    );
    const result = await verifyAuditLog(db.store, { pageSize: 4 });
    expect(result).toEqual({ ok: false, count: 4, broken: { seq: 5, id: "a0004", kind: "altered" } });
    expect(describeVerify(result)).toContain("entry 5 (AuditEvent/a0004)");
  });

  it("names the entry whose recorded time was changed", async () => {
    await recordReads(db.store, 4);
    await db.sql(db.unguard);
    await db.sql(`UPDATE log_entries SET recorded = '2020-01-01T00:00:00.000Z' WHERE stream = 'audit' AND seq = 2`);
    expect(await verifyAuditLog(db.store)).toMatchObject({ ok: false, broken: { seq: 2, kind: "altered" } });
  });

  it("names a deleted entry as missing", async () => {
    await recordReads(db.store, 12);
    await db.sql(db.unguard);
    await db.sql(`DELETE FROM log_entries WHERE stream = 'audit' AND seq = 7`);
    expect(await verifyAuditLog(db.store, { pageSize: 5 })).toEqual({
      ok: false,
      count: 6,
      broken: { seq: 7, kind: "missing" },
    });
  });

  it("names the first entry of two that were swapped", async () => {
    await recordReads(db.store, 6);
    await db.sql(db.unguard);
    await db.sql(
      `UPDATE log_entries SET seq = -1 WHERE stream = 'audit' AND seq = 3;
       UPDATE log_entries SET seq = 3 WHERE stream = 'audit' AND seq = 4;
       UPDATE log_entries SET seq = 4 WHERE stream = 'audit' AND seq = -1;`,
    );
    expect(await verifyAuditLog(db.store)).toEqual({
      ok: false,
      count: 2,
      broken: { seq: 3, id: "a0003", kind: "altered" },
    });
  });

  it("names an entry whose row no longer holds JSON, without failing", async () => {
    await recordReads(db.store, 5);
    await db.sql(db.unguard);
    await db.sql(`UPDATE log_entries SET payload = 'not json' WHERE stream = 'audit' AND seq = 4`);
    expect(await verifyAuditLog(db.store, { pageSize: 10 })).toEqual({
      ok: false,
      count: 3,
      broken: { seq: 4, kind: "unreadable" },
    });
  });

  it("names an entry whose searchable copy was deleted behind the log's back", async () => {
    await recordReads(db.store, 5);
    await db.sql(db.unguard);
    await db.sql(`UPDATE resources SET deleted = 1 WHERE resource_type = 'AuditEvent' AND id = 'a0002'`);
    expect(await verifyAuditLog(db.store)).toEqual({
      ok: false,
      count: 2,
      broken: { seq: 3, id: "a0002", kind: "copy-differs" },
    });
  });

  it("with a head recorded earlier, names a cut tail and a rebuilt chain the chain alone cannot show", async () => {
    await recordReads(db.store, 5);
    const before = await verifyAuditLog(db.store);
    if (!before.ok) throw new Error("expected an intact chain");
    await db.sql(db.unguard);
    await db.sql(`DELETE FROM log_entries WHERE stream = 'audit' AND seq = 5`);
    expect(await verifyAuditLog(db.store)).toMatchObject({ ok: true, count: 4 }); // a shorter chain is valid alone
    expect(await verifyAuditLog(db.store, { expectHead: before.head })).toEqual({
      ok: false,
      count: 4,
      broken: { seq: 5, kind: "truncated" },
    });
    // Cut again and append afresh: seq 5 exists again, consistent, but not the entry the head recorded.
    await db.sql(`DELETE FROM log_entries WHERE stream = 'audit' AND seq = 4`);
    await recordReads(db.store, 2, 50);
    expect(await verifyAuditLog(db.store)).toMatchObject({ ok: true, count: 5 });
    expect(await verifyAuditLog(db.store, { expectHead: before.head })).toEqual({
      ok: false,
      count: 4,
      broken: { seq: 5, id: "a0051", kind: "rewritten" },
    });
  });

  it("verifies only after a trusted head (from), and names a head that is no longer there", async () => {
    await recordReads(db.store, 4);
    const first = await verifyAuditLog(db.store);
    if (!first.ok) throw new Error("expected an intact chain");
    await recordReads(db.store, 3, 10);
    expect(await verifyAuditLog(db.store, { from: first.head })).toMatchObject({ ok: true, count: 3, after: 4 });
    await db.sql(db.unguard);
    await db.sql(`UPDATE log_entries SET payload = replace(payload, 'Patient/p11', 'Patient/p99') WHERE seq = 6`);
    expect(await verifyAuditLog(db.store, { from: first.head })).toEqual({
      ok: false,
      count: 1,
      broken: { seq: 6, id: "a0011", kind: "altered" },
    });
    // Entries before the trusted head are not looked at again; a changed head entry itself is named.
    await db.sql(`UPDATE log_entries SET payload = replace(payload, 'Patient/p3', 'Patient/p98') WHERE seq = 4`);
    expect(await verifyAuditLog(db.store, { from: first.head })).toEqual({
      ok: false,
      count: 0,
      broken: { seq: 4, id: "a0003", kind: "rewritten" },
    });
    expect(await verifyAuditLog(db.store, { from: { seq: 40, hash: first.head.hash } })).toMatchObject({
      ok: false,
      broken: { seq: 40, kind: "truncated" },
    });
  });

  it("verifies an empty log as intact with count 0", async () => {
    expect(await verifyAuditLog(db.store)).toEqual({ ok: true, count: 0, head: { seq: 0, hash: "0".repeat(64) } });
  });
});

describe("recordAudit never fails silently", () => {
  const failing = (err: Error): Store => ({ commit: () => Promise.reject(err) }) as unknown as Store;

  it("throws AuditWriteError (503) when the store fails", async () => {
    const err = await recordAudit(failing(new Error("disk full")), event("x")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditWriteError);
    expect((err as AuditWriteError).status).toBe(503);
  });

  it("gives up after the bounded number of lost races", async () => {
    let calls = 0;
    const store = {
      commit: () => {
        calls++;
        return Promise.reject(new StoreConflictError());
      },
    } as unknown as Store;
    await expect(recordAudit(store, event("y"), 3)).rejects.toBeInstanceOf(AuditWriteError);
    expect(calls).toBe(3);
  });

  it("refuses something that is not an AuditEvent with an id", async () => {
    await expect(recordAudit(failing(new Error("unused")), { resourceType: "Patient" })).rejects.toBeInstanceOf(
      AuditWriteError,
    );
  });
});
