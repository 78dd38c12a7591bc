/**
 * Does ingest's per-row cost grow with the rows already stored (issue 8/9)? Ingests consecutive slices of the bench
 * NDTMS fixture (`ndtmsRow`, clients numbered on from the last slice) into one SQLite file, in one process, with the
 * derivation chain on (as `tfg ingest ndtms` does), and prints rows/s per slice by the wall clock and per CPU second
 * of this process (`process.cpuUsage`; the steadier figure on a shared machine).
 * Usage: tsx bench/ingest-growth.ts [slice sizes, default 5000 5000 10000] [--all-or-nothing]
 *   Profile with `node --cpu-prof --import tsx bench/ingest-growth.ts …` and bench/profile-summary.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { ingest } from "../src/ingest/ingest-service.js";
import { SOURCES } from "../src/ingest/sources.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { ndtmsCsv, ndtmsRow } from "./fixtures.js";

const args = process.argv.slice(2);
const allOrNothing = args.includes("--all-or-nothing");
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
const slices = sizes.length ? sizes : [5000, 5000, 10_000];

const dir = mkdtempSync(join(tmpdir(), "tfg-growth-bench-"));
const store = await openSqliteStore(join(dir, "tfg.sqlite"), loadMigrations());
const def = SOURCES.ndtms;
if (!def) throw new Error("ndtms source missing");
const header = ndtmsCsv(0).trimEnd();

async function* chunks(text: string): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += 65_536) yield bytes.subarray(i, i + 65_536);
}

console.log(
  `${new Date().toISOString()} — NDTMS slices ${slices.join(", ")} (${allOrNothing ? "all-or-nothing" : "per-record"}), one SQLite file, derivation on; ${cpus()[0]?.model ?? "cpu"}, ${cpus().length} cores, Node ${process.version}`,
);
console.log("| slice | rows stored before | rows | wall s | CPU s | rows/s (wall) | rows/s (CPU) | versions written |");
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
let from = 0;
try {
  for (const [n, size] of slices.entries()) {
    const rows = [header];
    for (let i = from; i < from + size; i++) rows.push(ndtmsRow(i));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await ingest(
      { store, clock: () => new Date() },
      def.mapping(),
      def.read({ kind: "stream", body: chunks(`${rows.join("\n")}\n`), mediaType: "text/csv" }),
      {
        mode: allOrNothing ? "all-or-nothing" : "per-record",
        sender: {
          org: "N0852",
          subject: "bench",
          issuer: "urn:tfg:bench",
          tokenId: { kind: "cli-run", value: "bench" },
        },
        ownerField: def.ownerField,
        retain: "rejected",
      },
    );
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    const cpu = (c.user + c.system) / 1e6;
    if (report.counts.rejected || report.fatal) throw new Error(`slice ${n + 1}: ${report.counts.rejected} rejected`);
    console.log(
      `| ${n + 1} | ${from} | ${size} | ${wall.toFixed(1)} | ${cpu.toFixed(1)} | ${(size / wall).toFixed(0)} | ${(size / cpu).toFixed(0)} | ${report.counts.resourcesWritten} |`,
    );
    from += size;
  }
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
