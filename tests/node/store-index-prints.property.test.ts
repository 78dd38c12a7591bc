// Updates that leave unchanged index rows alone (index-prints.ts): after any interleaving of writes by two stores
// over one database, deletions and lost races included, the index holds exactly what a full rebuild writes.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { type IndexWrite, type ResourceWrite, type Store, StoreConflictError } from "../../src/store/port.js";
import { pgliteExecutor } from "../../src/store/postgres/index.js";
import { applyMigrations } from "../../src/store/sql/migrate.js";
import { SqlStore } from "../../src/store/sql/sql-store.js";
import { sqliteExecutor } from "../../src/store/sqlite/index.js";

const IDS = ["a", "b", "c"];

/** One write: which store writes it, to which resource, with which index entries (undefined: a deletion). */
const op = fc.record({
  writer: fc.constantFrom(0, 1),
  id: fc.constantFrom(...IDS),
  stale: fc.boolean(),
  index: fc.option(
    fc.record({
      token: fc.option(fc.constantFrom("t1", "t2")),
      ref: fc.option(fc.constantFrom("Patient/x", "Patient/y")),
      string: fc.option(fc.constantFrom("s1", "s2")),
      date: fc.option(fc.constantFrom("1980-01-01", "1990-06-06")),
    }),
    { nil: undefined },
  ),
});

type Index = Omit<IndexWrite, "resourceType" | "id">;

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function indexOf(x: Op["index"]): Index {
  return {
    tokens: x?.token ? [{ param: "identifier", system: "urn:s", value: x.token }] : [],
    references: x?.ref ? [{ param: "link", target: x.ref }] : [],
    strings: x?.string ? [{ param: "family", value: x.string, exact: x.string }] : [],
    dates: x?.date ? [{ param: "birthdate", low: `${x.date}T00:00:00.000Z`, high: `${x.date}T23:59:59.999Z` }] : [],
  };
}

/** Runs the ops against two stores over one database; `dump` lists every index row. */
async function check(stores: [Store, Store], dump: () => Promise<unknown[]>, ops: Op[], prefix: string) {
  const model = new Map<string, Index>();
  for (const [k, o] of ops.entries()) {
    const store = stores[o.writer];
    const id = `${prefix}-${o.id}`;
    const current = (await store.read("Patient", id))?.versionId ?? 0;
    const index = indexOf(o.index);
    const w: ResourceWrite = {
      resourceType: "Patient",
      id,
      versionId: o.stale && current > 0 ? current : current + 1,
      lastUpdated: new Date(Date.UTC(2026, 0, 1, 0, 0, k)).toISOString(),
      ...(o.index ? { resource: { resourceType: "Patient", id } } : {}),
      ...(o.index ? index : { tokens: [], references: [], strings: [], dates: [] }),
    };
    if (!o.index && current === 0) continue; // nothing to delete
    try {
      await store.commit({ resources: [w] });
      model.set(id, o.index ? index : { tokens: [], references: [], strings: [], dates: [] });
    } catch (err) {
      expect(err).toBeInstanceOf(StoreConflictError);
      expect(o.stale).toBe(true);
    }
  }
  const held = await dump();
  // A full rebuild of every resource's rows from the model, by a third store with no memory of the writes.
  await stores[0].replaceIndex([...model].map(([id, index]) => ({ resourceType: "Patient", id, ...index })));
  expect(held).toEqual(await dump());
}

const TABLES = [
  "select 't' k, code, value a, '' b, rkey from search_tokens",
  "select 'r' k, code, hex(target) a, '' b, rkey from search_references",
  "select 's' k, code, value a, exact b, rkey from search_strings",
  "select 'd' k, code, low a, high b, rkey from search_dates",
];

describe("index rows after updates that skip unchanged kinds", () => {
  it("SQLite: two stores over one file hold what a rebuild writes", { timeout: 120_000 }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), "tfg-prints-")), "db.sqlite");
    const open = async () => {
      const exec = sqliteExecutor(new Database(file));
      await applyMigrations(exec, loadMigrations());
      return new SqlStore(exec);
    };
    const stores: [Store, Store] = [await open(), await open()];
    const raw = new Database(file, { readonly: true });
    const dump = async () => raw.prepare(`${TABLES.join(" union all ")} order by 1, 2, 3, 4, 5`).all();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        await check(stores, dump, ops, `r${run++}`);
      }),
      { numRuns: 60 },
    );
    raw.close();
    for (const s of stores) await s.close();
  });

  it("PostgreSQL (PGlite): two stores over one database hold what a rebuild writes", { timeout: 180_000 }, async () => {
    const pg = new PGlite();
    const open = async () => {
      const exec = pgliteExecutor(pg);
      await applyMigrations(exec, loadMigrations());
      return new SqlStore(exec);
    };
    const stores: [Store, Store] = [await open(), await open()];
    const dump = async () =>
      (
        await pg.query(
          `${TABLES.join(" union all ")
            .replace("hex(target)", "encode(target, 'hex')")
            .replace("low a, high b", "low::text a, high::text b")} order by 1, 2, 3, 4, 5`,
        )
      ).rows.map((r) => JSON.parse(JSON.stringify(r)));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        await check(stores, dump, ops, `r${run++}`);
      }),
      { numRuns: 15 },
    );
    await pg.close();
  });
});
