/**
 * `PROFILE_OUT=FILE.cpuprofile npx tsx bench/profile-ingest.ts SOURCE [ROWS]`: ingests ROWS synthetic records of
 * SOURCE (ndtms, cpa, cin; bench/fixtures.ts) end to end into an in-memory SQLite store, validated (the default), with a V8 CPU
 * profile of that ingest alone (node:inspector) written to PROFILE_OUT; `bench/profile-summary.ts` sums it up.
 * Prints the CPU µs per record.
 */
import { ingest } from "../src/ingest/ingest-service.js";
import { SOURCES } from "../src/ingest/sources.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { startProfile } from "./cpu-profile.js";
import { cinXml, cpaNdjson, ndtmsCsv } from "./fixtures.js";

const source = (process.argv[2] ?? "ndtms") as "ndtms" | "cpa" | "cin";
const rows = Number(process.argv[3] ?? 1000);
const [body, mediaType] =
  source === "ndtms"
    ? [ndtmsCsv(rows), "text/csv"]
    : source === "cpa"
      ? [cpaNdjson(rows), "application/x-ndjson"]
      : [cinXml(rows), "application/xml"];
const def = SOURCES[source];
if (!def) throw new Error(source);
const run = async () => {
  const store = await openSqliteStore(":memory:", loadMigrations());
  const report = await ingest(
    { store, clock: () => new Date("2026-06-01T00:00:00Z") },
    def.mapping(),
    def.read({
      kind: "stream",
      body: (async function* () {
        yield body;
      })(),
      mediaType,
    }),
    {
      retain: "rejected",
      sender: {
        org: { ndtms: "N0852", cpa: "RX4", cin: "201" }[source],
        subject: "bench",
        issuer: "urn:tfg:bench",
        tokenId: { kind: "cli-run", value: "bench" },
      },
      ownerField: def.ownerField,
    },
  );
  await store.close();
  return report;
};
await run(); // warm-up
const stopProfile = await startProfile(200);
const c0 = process.cpuUsage();
const report = await run();
const c = process.cpuUsage(c0);
await stopProfile();
console.log(
  `${source}: ${rows} records (${JSON.stringify(report.counts)}), ${((c.user + c.system) / rows).toFixed(0)} CPU µs each`,
);
