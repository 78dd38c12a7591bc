// A process killed (SIGKILL) in the middle of an all-or-nothing ingest, after three batches went into its open
// transaction, leaves nothing: on a SQLite file (the killed connection's WAL frames are never committed) and on a
// real PostgreSQL server (TFG_TEST_POSTGRES_URL: the server rolls back the dead session). The store stays usable:
// the same file then ingests whole.
import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { ndtmsCsv } from "../../bench/fixtures.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { BULK_DRIVERS, dropSchemas } from "../support/bulk-stores.js";
import { sentBy } from "../support/sender.js";

afterAll(dropSchemas);

function runChild(dialect: string, target: string, rows: number): Promise<{ signal: string | null; out: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "tests/support/ingest-and-die.ts", dialect, target, String(rows)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve) => child.on("exit", (_code, signal) => resolve({ signal, out })));
}

for (const driver of BULK_DRIVERS.filter((d) => d.concurrent)) {
  describe(`an all-or-nothing ingest killed mid-way [${driver.name}]`, { timeout: 600_000 }, () => {
    it("leaves no trace, and the store then takes the same file whole", async () => {
      // This process keeps the store open beside the child, as a running server would.
      const { store, where } = await driver.open();
      try {
        if (!where) throw new Error("driver names no database for a child process");
        const died = await runChild(where.dialect, where.target, 40);
        expect(died.out).toContain("wrote 3 batches into the open transaction");
        expect(died.signal).toBe("SIGKILL");
        expect(await store.scanCurrent(undefined, 1)).toEqual([]);

        async function* body() {
          yield ndtmsCsv(40);
        }
        const report = await ingest(
          { store, clock: () => new Date("2026-12-02T08:00:00.000Z") },
          mappingFor("ndtms"),
          ndtmsRecords(body()),
          { ...sentBy("ndtms", "N0852"), mode: "all-or-nothing", batchSize: 10 },
        );
        expect(report.counts).toMatchObject({ records: 40, created: 40, rejected: 0 });
      } finally {
        await store.close();
      }
    });
  });
}
