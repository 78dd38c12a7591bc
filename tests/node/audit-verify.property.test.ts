// Properties of the audit: over any chain length, page size and single tampering (a changed payload or time, a
// deleted row, two rows swapped), verify names exactly the first entry the change broke; untouched chains verify
// intact; and a search's query in an AuditEvent never keeps the value of a parameter that can carry personal data.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { auditQuery } from "../../src/audit/audit-event.js";
import { AUDIT_STREAM } from "../../src/audit/audit-log.js";
import { verifyAuditLog } from "../../src/audit/verify.js";
import { SERVED_TYPES } from "../../src/fhir/served-types.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { LogEntry, Store, StoredVersion } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { recordReads } from "./audit-fixtures.js";

const MAX = 30;
let chain: LogEntry[] = [];

beforeAll(async () => {
  const store = await openSqliteStore(":memory:", loadMigrations());
  await recordReads(store, MAX);
  chain = await store.readLog(AUDIT_STREAM, 0, MAX);
  await store.close();
});

/** A store over rows as a database would return them (ordered by seq), copies equal to the original payloads. */
function storeOver(rows: LogEntry[], copies: LogEntry[]): Store {
  const byKey = new Map(copies.map((e) => [`AuditEvent/${e.payload.id}`, e]));
  return {
    readLog: async (_stream: string, after: number, limit: number) =>
      rows
        .filter((e) => e.seq > after)
        .sort((a, b) => a.seq - b.seq)
        .slice(0, limit),
    readMany: async (keys: { resourceType: string; id: string }[]) => {
      const out = new Map<string, StoredVersion>();
      for (const k of keys) {
        const e = byKey.get(`${k.resourceType}/${k.id}`);
        if (e) {
          out.set(`${k.resourceType}/${k.id}`, {
            resourceType: k.resourceType,
            id: k.id,
            versionId: 1,
            lastUpdated: e.recorded,
            deleted: false,
            resource: e.payload,
          });
        }
      }
      return out;
    },
  } as unknown as Store;
}

type Tamper =
  | { kind: "payload"; at: number }
  | { kind: "recorded"; at: number }
  | { kind: "delete"; at: number }
  | { kind: "swap"; at: number; with: number };

/** Applies a tampering to the first `n` entries; returns the rows and the sequence number verify must name. */
function tamper(n: number, t: Tamper): { rows: LogEntry[]; seq: number } {
  const rows = chain.slice(0, n).map((e) => ({ ...e }));
  const at = (t.at % n) + 1;
  const row = rows[at - 1] as LogEntry;
  switch (t.kind) {
    case "payload":
      row.payload = { ...row.payload, outcome: row.payload.outcome === "0" ? "4" : "0" };
      return { rows, seq: at };
    case "recorded":
      row.recorded = "2001-01-01T00:00:00.000Z";
      return { rows, seq: at };
    case "delete":
      return { rows: rows.filter((e) => e.seq !== at), seq: at };
    case "swap": {
      const other = (t.with % n) + 1;
      if (other === at) return { rows, seq: 0 };
      (rows[other - 1] as LogEntry).seq = at;
      row.seq = other;
      return { rows, seq: Math.min(at, other) };
    }
  }
}

const tampering: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({ kind: fc.constant("payload" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("recorded" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), with: fc.nat() }),
);

describe("verify, property", () => {
  it("verifies any untouched prefix of the chain as intact, whatever the page size", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: MAX }), fc.integer({ min: 1, max: 12 }), async (n, pageSize) => {
        const rows = chain.slice(0, n);
        const result = await verifyAuditLog(storeOver(rows, rows), { pageSize });
        expect(result).toMatchObject({ ok: true, count: n });
      }),
    );
  });

  it("names exactly the first entry a single tampering broke, and counts the intact ones before it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: MAX }),
        fc.integer({ min: 1, max: 12 }),
        tampering,
        async (n, pageSize, t) => {
          const { rows, seq } = tamper(n, t);
          const result = await verifyAuditLog(storeOver(rows, chain), { pageSize });
          if (seq === 0) {
            expect(result.ok).toBe(true);
            return;
          }
          // Deleting the newest entry leaves a valid, shorter chain: only a recorded head shows it (docs/AUDIT.md).
          if (t.kind === "delete" && seq === n) {
            expect(result).toMatchObject({ ok: true, count: n - 1 });
            return;
          }
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.broken.seq).toBe(seq);
          expect(result.count).toBe(seq - 1);
        },
      ),
    );
  });
});

/** Parameters whose values may be personal: an identifier, names, a birth date, an address. */
const PERSONAL = ["identifier", "name", "family", "given", "birthdate", "address", "address-postalcode", "phone"];

/** Any string, or one shaped like a reference (to a served type, or to something that is not a type). */
const value = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }),
  fc
    .tuple(fc.constantFrom("Patient", "Practitioner", "Flag", "Smith", "Jones"), fc.stringMatching(/^[a-z0-9]{1,8}$/))
    .map(([t, id]) => `${t}/${id}`),
);

describe("auditQuery, property", () => {
  it("never keeps the value of a personal parameter unless it is only a reference", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...PERSONAL), value), {
          minLength: 1,
          maxLength: 6,
        }),
        (params) => {
          const kept = auditQuery(params).split("&");
          params.forEach(([name, value], i) => {
            const reference = value.split(",").every((v) => {
              const m = /^(\w+)\/[A-Za-z0-9\-.]{1,64}$/.exec(v);
              return m !== null && SERVED_TYPES.includes(m[1] as string);
            });
            expect(kept[i]).toBe(`${encodeURIComponent(name)}=${reference ? encodeURIComponent(value) : "*"}`);
          });
        },
      ),
    );
  });
});
