// An all-or-nothing ingest killed mid-way, for tests/node/ingest-all-or-nothing-kill.test.ts: ingests a synthetic
// NDTMS file of `rows` rows in batches of 10 through the real driver and SIGKILLs its own process right after the
// third batch went into the open bulk transaction, before the run could commit.
// Usage: tsx tests/support/ingest-and-die.ts sqlite <file> <rows> | postgres <url> <rows>
import { ndtmsCsv } from "../../bench/fixtures.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { BulkSession, Store } from "../../src/store/port.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { sentBy } from "./sender.js";

const [dialect, target, rows] = process.argv.slice(2) as [string, string, string];
const store: Store =
  dialect === "sqlite"
    ? await openSqliteStore(target, loadMigrations())
    : await openPostgresStore(target, loadMigrations());
const open = store.bulk?.bind(store);
if (!open) throw new Error("no Store.bulk");
let writes = 0;
store.bulk = async (): Promise<BulkSession> => {
  const session = await open();
  return {
    ...session,
    write: async (changes) => {
      await session.write(changes);
      if (++writes === 3) {
        console.log(`wrote ${writes} batches into the open transaction`);
        process.kill(process.pid, "SIGKILL");
        await new Promise(() => {});
      }
    },
  };
};
async function* body() {
  yield ndtmsCsv(Number(rows));
}
await ingest({ store, clock: () => new Date("2026-12-02T08:00:00.000Z") }, mappingFor("ndtms"), ndtmsRecords(body()), {
  ...sentBy("ndtms", "N0852"),
  mode: "all-or-nothing",
  batchSize: 10,
});
console.log("finished without dying");
process.exit(3);
