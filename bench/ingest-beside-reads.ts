/**
 * SQLite with a CLI ingest beside the running server (issue 8, scope 4): the server (in this process) answers a
 * loop of reads and, concurrently, a write every 100 ms while `npm run tfg -- ingest ndtms` (another process) loads a large file into the
 * same database. Prints read latency before and during the ingest, the longest wait, and any 5xx.
 * Usage: tsx bench/ingest-beside-reads.ts [rows, default 20000] [--all-or-nothing]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../src/log/logger.js";
import { mintDevToken } from "../src/runtime/dev-issuer.js";
import { startNodeServer } from "../src/runtime/node.js";
import { ndtmsIngestArgs } from "./cli-ingest.js";
import { ndtmsCsv } from "./fixtures.js";

const rows = Number(process.argv[2] ?? 20_000);
const allOrNothing = process.argv.includes("--all-or-nothing");
const dataDir = mkdtempSync(join(tmpdir(), "tfg-beside-"));
const file = join(dataDir, "N0852-20250401-20260331-TREAT-IN-P.csv");
writeFileSync(file, ndtmsCsv(rows));
const server = await startNodeServer({
  env: { TFG_DATA_DIR: dataDir, TFG_PORT: "0" },
  devIssuer: true,
  logger: silentLogger,
});
const token = await mintDevToken(dataDir, {
  sub: "b",
  org: "RX4",
  org_type: "mh-trust",
  role: "system",
  purpose_of_use: "direct-care",
});
const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/fhir+json" };
const ids: string[] = [];
for (let i = 0; i < 20; i++) {
  const res = await fetch(`${server.url}/fhir/Patient`, {
    method: "POST",
    headers,
    body: '{"resourceType":"Patient"}',
  });
  ids.push(((await res.json()) as { id: string }).id);
}

interface Sample {
  ms: number;
  status: number;
  write: boolean;
}
/** Reads in one loop and a write every 100 ms in another, concurrently, until `until()`. */
async function loop(until: () => boolean): Promise<Sample[]> {
  const out: Sample[] = [];
  const timed = async (write: boolean, request: () => Promise<Response>) => {
    const started = performance.now();
    const res = await request();
    await res.arrayBuffer();
    out.push({ ms: performance.now() - started, status: res.status, write });
  };
  const reads = (async () => {
    for (let i = 0; !until(); i++) {
      await timed(false, () => fetch(`${server.url}/fhir/Patient/${ids[i % ids.length]}`, { headers }));
    }
  })();
  const writes = (async () => {
    while (!until()) {
      await timed(true, () =>
        fetch(`${server.url}/fhir/Patient`, { method: "POST", headers, body: '{"resourceType":"Patient"}' }),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await Promise.all([reads, writes]);
  return out;
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
function summary(label: string, samples: Sample[]) {
  const reads = samples.filter((s) => !s.write).map((s) => s.ms);
  const writes = samples.filter((s) => s.write).map((s) => s.ms);
  const errors = samples.filter((s) => s.status >= 500 && s.status !== 503).length;
  const busy = samples.filter((s) => s.status === 503).length;
  return `${label}: ${samples.length} requests, reads p50 ${pct(reads, 50).toFixed(1)} ms, p99 ${pct(reads, 99).toFixed(1)} ms, max ${Math.max(...reads).toFixed(0)} ms; writes max ${Math.max(...writes).toFixed(0)} ms; 503 ${busy}; other 5xx ${errors}`;
}

const idleUntil = Date.now() + 5000;
const idle = await loop(() => Date.now() > idleUntil);
let done = false;
const startedIngest = performance.now();
const ingest = spawn(process.execPath, ndtmsIngestArgs(file, allOrNothing ? ["--all-or-nothing"] : []), {
  env: { ...process.env, TFG_DATA_DIR: dataDir },
  stdio: ["ignore", "ignore", "inherit"],
});
const exited = new Promise<number | null>((r) => ingest.on("exit", (code) => r(code)));
exited.then(() => {
  done = true;
});
const during = await loop(() => done);
const code = await exited;
console.log(summary("idle", idle));
console.log(
  summary(
    `during a ${rows}-row ingest (${((performance.now() - startedIngest) / 1000).toFixed(1)} s, exit ${code})`,
    during,
  ),
);
await server.close();
