// All-or-nothing ingest in bounded memory (issue 8, scope 2a): batches are written into one open transaction
// (Store.bulk) as they are planned, and committed only when every record was good. On a SQLite file and on
// PostgreSQL (a real server with TFG_TEST_POSTGRES_URL, else PGlite): a bad record last, or a read error late, leaves
// nothing; a good file is stored whole and re-sending it changes nothing; a record builds on one of an earlier batch;
// the server answers reads (and does not see the run) while the transaction is open. A store without Store.bulk
// (D1, SQLite in memory) holds the plan for one commit, and refuses a file too big for it (413).
import { afterAll, describe, expect, it } from "vitest";
import { ndtmsCsv, ndtmsRow } from "../../bench/fixtures.js";
import { GatewayError } from "../../src/fhir/errors.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import type { IngestReport } from "../../src/ingest/report.js";
import { SourceReadError } from "../../src/mapping/parsers/text.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { BulkSession, Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { BULK_DRIVERS, dropSchemas } from "../support/bulk-stores.js";
import { sentBy } from "../support/sender.js";
import { createTestApp } from "../support/test-app.js";

afterAll(dropSchemas);

const HEADER = ndtmsCsv(0).trim();
const NOT_STORED = "Not stored: all-or-nothing was requested and another record failed";
const clock = () => new Date("2026-12-02T08:00:00.000Z");

/** An NDTMS CSV of rows `from` … `from + n - 1` (client C<i>), with `edit` applied to some rows' fields. */
function csv(n: number, edit: (i: number, fields: string[]) => void = () => undefined, from = 0): string {
  const lines = [HEADER];
  for (let i = from; i < from + n; i++) {
    const fields = ndtmsRow(i).split(",");
    edit(i, fields);
    lines.push(fields.join(","));
  }
  return `${lines.join("\n")}\n`;
}
const DOB = 2;
const SEX = 3;

/** Counts the writes each bulk session of `store` takes (so a test can show batches went in before the end). */
function countWrites(store: Store): { writes: number; sessions: number } {
  const counts = { writes: 0, sessions: 0 };
  const open = store.bulk?.bind(store);
  if (!open) throw new Error("store has no bulk");
  store.bulk = async (): Promise<BulkSession> => {
    const session = await open();
    counts.sessions++;
    return {
      ...session,
      store: session.store,
      write: async (changes) => {
        await session.write(changes);
        counts.writes++;
      },
    };
  };
  return counts;
}

async function* chunks(...parts: (string | Promise<string>)[]): AsyncGenerator<string> {
  for (const p of parts) yield await p;
}

const run = (store: Store, body: AsyncIterable<string>, mode: "all-or-nothing" | "per-record" = "all-or-nothing") =>
  ingest({ store, clock }, mappingFor("ndtms"), ndtmsRecords(body), {
    ...sentBy("ndtms", "N0852"),
    mode,
    batchSize: 10,
  });

const total = async (store: Store, resourceType: string) =>
  (await store.search({ resourceType, criteria: [], count: 0, offset: 0, sort: "id" })).total;

/** True when the store holds no resource at all. */
const empty = async (store: Store) => (await store.scanCurrent(undefined, 1)).length === 0;

/** Each test ingests tens of NDTMS rows with full validation: PGlite on a shared, loaded machine takes minutes. */
const SLOW = { timeout: 600_000 };

for (const driver of BULK_DRIVERS) {
  describe(`all-or-nothing ingest [${driver.name}]`, SLOW, () => {
    it("a bad record last: nothing is stored, though earlier batches went into the open transaction; every good record is 'Not stored'", async () => {
      const { store } = await driver.open();
      try {
        const counts = countWrites(store);
        const text = csv(45, (i, f) => {
          if (i === 44) f[DOB] = "1990-13-45";
        });
        const report = await run(store, chunks(text));
        expect(counts.writes).toBe(4); // 44 good rows in batches of 10: four batches written before the bad one was read
        expect(report.counts).toMatchObject({ records: 45, rejected: 45, created: 0, resourcesWritten: 0 });
        const bad = report.records.find((r) => r.label === "row 46");
        expect(bad?.issues?.issue[0]?.expression).toEqual(["row 46, column DOB"]);
        const others = report.records.filter((r) => r.label !== "row 46");
        expect(others).toHaveLength(44);
        expect(others.every((r) => r.outcome === "rejected" && r.issues?.issue[0]?.diagnostics === NOT_STORED)).toBe(
          true,
        );
        expect(await empty(store)).toBe(true);
      } finally {
        await store.close();
      }
    });

    it("a read error late in the file leaves nothing", async () => {
      const { store } = await driver.open();
      try {
        const counts = countWrites(store);
        const broken = (async function* () {
          yield csv(35);
          throw new SourceReadError("interrupted");
        })();
        const report = await run(store, broken);
        expect(counts.writes).toBe(3);
        expect(report.fatal?.issue[0]?.diagnostics).toMatch(/could not be read to the end/);
        expect(report.counts).toMatchObject({ created: 0, rejected: 35, resourcesWritten: 0 });
        expect(await empty(store)).toBe(true);
      } finally {
        await store.close();
      }
    });

    it("a good file is stored whole, as per-record mode stores it; re-sent, every record is unchanged and nothing is written", async () => {
      const [{ store }, { store: perRecord }] = [await driver.open(), await driver.open()];
      try {
        const counts = countWrites(store);
        const text = csv(30);
        const report = await run(store, chunks(text));
        expect(counts).toEqual({ sessions: 1, writes: 3 });
        expect(report.counts).toMatchObject({ records: 30, created: 30, rejected: 0 });
        const expected = await run(perRecord, chunks(text), "per-record");
        expect(report.counts).toEqual(expected.counts);
        for (const type of ["Patient", "EpisodeOfCare", "Observation", "Provenance"]) {
          expect(await total(store, type)).toBe(await total(perRecord, type));
        }
        expect(report.records.map((r) => r.outcome)).toEqual(expected.records.map((r) => r.outcome));

        const again = await run(store, chunks(text));
        expect(again.counts).toMatchObject({ records: 30, unchanged: 30, created: 0, updated: 0, resourcesWritten: 0 });
        expect(await total(store, "Patient")).toBe(30);
      } finally {
        await store.close();
        await perRecord.close();
      }
    });

    it("a record that changes a resource an earlier batch of the same run wrote builds on that write (version 2)", async () => {
      const { store } = await driver.open();
      try {
        // Rows 0 and 25 are the same client (C0): the second, three batches later, changes the Patient's sex.
        const text = csv(30, (i, f) => {
          if (i === 25) {
            const first = ndtmsRow(0).split(",");
            f.splice(0, f.length, ...first);
            f[SEX] = first[SEX] === "1" ? "2" : "1";
            f[9] = "E2";
          }
        });
        const report = await run(store, chunks(text));
        expect(report.counts).toMatchObject({ records: 30, rejected: 0 });
        const client = report.records.find((r) => r.label === "row 27");
        expect(client?.outcome).toBe("updated");
        const patientKey = client?.resources?.find((k) => k.startsWith("Patient/")) as string;
        const [, id] = patientKey.split("/") as [string, string];
        expect((await store.read("Patient", id))?.versionId).toBe(2);
        expect((await store.history("Patient", id, { count: 10, offset: 0 })).total).toBe(2);
      } finally {
        await store.close();
      }
    });

    // Every /fhir read writes its audit entry first: on SQLite the audit trail is in its own file, so the read's audit
    // does not wait for the run's write lock on the data; PostgreSQL holds row locks only.
    it.skipIf(!driver.concurrent)(
      "while the transaction is open the server answers reads and does not see the run; it sees all of it at the commit",
      async () => {
        const { store } = await driver.open(300);
        const t = await createTestApp(store);
        try {
          const seeded = await t.fhir("/fhir/Patient", {
            method: "POST",
            json: { resourceType: "Patient", gender: "female" },
          });
          const { id } = (await seeded.json()) as { id: string };
          const counts = countWrites(store);
          let release: (rest: string) => void = () => undefined;
          const rest = new Promise<string>((resolve) => {
            release = resolve;
          });
          const running = run(store, chunks(csv(25), rest));
          // Wait until two batches are in the open transaction (the third waits for the rest of the file).
          while (counts.writes < 2) await new Promise((r) => setTimeout(r, 20));
          expect((await t.fhir(`/fhir/Patient/${id}`)).status).toBe(200);
          expect((await t.fhir("/healthz")).status).toBe(200);
          // The run's 30 are N0852's (read as N0852); the seeded Patient and the write beside the run are the default
          // token's own (RX4), which the sharing protocol keeps apart.
          const agency = await t.issuer.sign({
            sub: "worker",
            org: "N0852",
            org_type: "drug-alcohol-service",
            role: "practitioner",
            purpose_of_use: "direct-care",
          });
          const count = async (token?: string) =>
            (
              (await (
                await t.fhir(
                  "/fhir/Patient?_summary=count",
                  token ? { headers: { Authorization: `Bearer ${token}` } } : {},
                )
              ).json()) as { total: number }
            ).total;
          expect(await count(agency)).toBe(0); // the open run is not seen
          expect(await count()).toBe(1);
          const write = await t.fhir("/fhir/Patient", { method: "POST", json: { resourceType: "Patient" } });
          // SQLite: one writer at a time, so a write beside the run waits for it, then is a 503 (nothing written);
          // PostgreSQL: the write goes through.
          expect(write.status).toBe(driver.name.startsWith("sqlite") ? 503 : 201);
          release(csv(5, undefined, 25).slice(HEADER.length + 1));
          const report = (await running) as IngestReport;
          expect(report.counts).toMatchObject({ records: 30, created: 30, rejected: 0 });
          expect(await count(agency)).toBe(30);
          expect(await count()).toBe(driver.name.startsWith("sqlite") ? 1 : 2);
        } finally {
          await store.close();
        }
      },
    );
  });
}

describe("POST /ingest/ndtms?mode=all-or-nothing on a SQLite file (the bulk path over HTTP)", SLOW, () => {
  it("stores a good file whole and nothing of a file whose last row is bad", async () => {
    const sqlite = BULK_DRIVERS.find((d) => d.name.startsWith("sqlite"));
    if (!sqlite) throw new Error("no SQLite driver");
    const { store } = await sqlite.open();
    const t = await createTestApp(store);
    try {
      const token = await t.issuer.sign({
        sub: "feed",
        org: "N0852",
        org_type: "drug-alcohol-service",
        role: "system",
        purpose_of_use: "direct-care",
      });
      const post = (body: string) =>
        t.app.request("http://gw.test/ingest/ndtms?mode=all-or-nothing&records=rejected", {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/csv" },
          body,
        });
      const bad = await post(
        csv(250, (i, f) => {
          if (i === 249) f[DOB] = "1990-13-45";
        }),
      );
      expect(bad.status).toBe(200);
      const refused = (await bad.json()) as IngestReport;
      expect(refused.counts).toMatchObject({ records: 250, rejected: 250, resourcesWritten: 0 });
      expect(refused.records).toHaveLength(250);
      expect(await empty(store)).toBe(true);
      const good = (await (await post(csv(250))).json()) as IngestReport;
      expect(good.counts).toMatchObject({ records: 250, created: 250, rejected: 0 });
      expect(good.records).toEqual([]);
      expect(await total(store, "Patient")).toBe(250);
    } finally {
      await store.close();
    }
  });
});

describe("all-or-nothing on a store without Store.bulk (D1, SQLite in memory)", () => {
  const open = () => openSqliteStore(":memory:", loadMigrations());
  const held = (store: Store, text: string, limit: number) =>
    ingest({ store, clock, heldWritesLimit: limit }, mappingFor("ndtms"), ndtmsRecords(chunks(text)), {
      ...sentBy("ndtms", "N0852"),
      mode: "all-or-nothing",
      batchSize: 10,
    });

  it("holds the plan for one commit up to the limit, and refuses a bigger file with a 413 that says why; nothing stored", async () => {
    const store = await open();
    try {
      expect((store as Store).bulk).toBeUndefined();
      const small = await held(store, csv(10), 1_000);
      expect(small.counts).toMatchObject({ created: 10, rejected: 0 });
      const refused = await held(store, csv(30, undefined, 100), 100).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(GatewayError);
      expect((refused as GatewayError).status).toBe(413);
      expect((refused as GatewayError).issues[0]?.diagnostics).toMatch(
        /All-or-nothing ingest on this store commits the whole file at once.*more than 100 resource versions.*nothing was stored/,
      );
      expect(await total(store, "Patient")).toBe(10);
    } finally {
      await store.close();
    }
  });

  it("a file with a bad record is reported, not refused, however big: its good records are dropped as they are planned", async () => {
    const store = await open();
    try {
      const report = await held(
        store,
        csv(
          30,
          (i, f) => {
            if (i === 100) f[DOB] = "1990-13-45";
          },
          100,
        ),
        50,
      );
      expect(report.counts).toMatchObject({ records: 30, rejected: 30, created: 0 });
      expect(await empty(store)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
