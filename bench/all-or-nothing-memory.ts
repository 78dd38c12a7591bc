/**
 * Peak RSS of `tfg ingest ndtms` in per-record mode against all-or-nothing (issue 8, scope 2a), on a SQLite file and
 * on PostgreSQL: the same synthetic NDTMS file, each run in its own process with the V8 heap capped (BENCH_HEAP_MB,
 * default 192: the gateway's code and generated validators take about 50 MB before the first record), the two
 * modes of one store side by side at the same time (so they share the machine's load). Prints one row per run.
 * Usage: tsx bench/all-or-nothing-memory.ts [rows, default 100000] [sqlite] [postgres]
 *   PostgreSQL runs against TFG_TEST_POSTGRES_URL (a fresh schema per run, dropped afterwards).
 *   Every BENCH_SAMPLE_SECONDS (default 60) each child's RSS, its peak so far (Linux /proc) and its data folder's
 *   size go to stderr, so a run too long to finish still shows how memory grew with the rows written.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { ndtmsIngestArgs } from "./cli-ingest.js";
import { ndtmsCsv } from "./fixtures.js";

const args = process.argv.slice(2);
const rows = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const wanted = args.filter((a) => a === "sqlite" || a === "postgres");
const stores = wanted.length ? wanted : ["sqlite", "postgres"];
const pgUrl = process.env.TFG_TEST_POSTGRES_URL;
/** The V8 heap cap of each child: a run whose memory grew with its rows fails here rather than finishing. */
const HEAP_MB = Number(process.env.BENCH_HEAP_MB ?? 192);

const dir = mkdtempSync(join(tmpdir(), "tfg-aon-bench-"));
const file = join(dir, "N0852-20250401-20260331-TREAT-IN-P.csv");
writeFileSync(file, ndtmsCsv(rows));

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface Run {
  store: string;
  mode: string;
  line: string;
  peakMb: number;
  seconds: number;
  code: number | null;
}

/** One CLI ingest in its own process, into a fresh database of `store`. */
async function run(store: string, allOrNothing: boolean): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env, TFG_DATA_DIR: mkdtempSync(join(dir, "data-")) };
  let schema: string | undefined;
  if (store === "postgres") {
    if (!pgUrl) throw new Error("Set TFG_TEST_POSTGRES_URL to measure PostgreSQL");
    schema = `tfg_aon_bench_${Date.now().toString(36)}_${allOrNothing ? "aon" : "pr"}`;
    await admin(`CREATE SCHEMA ${schema}`);
    const url = new URL(pgUrl);
    url.searchParams.set("options", `-c search_path=${schema}`);
    env.TFG_DATABASE_URL = url.toString();
  }
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      `--max-old-space-size=${HEAP_MB}`,
      ...ndtmsIngestArgs(file, ["--quiet", ...(allOrNothing ? ["--all-or-nothing"] : [])]),
    ],
    { env, stdio: ["ignore", "pipe", "inherit"] },
  );
  const sampleMs = Number(process.env.BENCH_SAMPLE_SECONDS ?? 60) * 1000;
  const label = `${store} ${allOrNothing ? "all-or-nothing" : "per-record"}`;
  const sampler = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = (key: string) =>
        Math.round(Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(status)?.[1]) / 1024);
      const data = env.TFG_DATA_DIR as string;
      const bytes = readdirSync(data).reduce((n, f) => n + statSync(join(data, f)).size, 0);
      console.error(
        `${new Date().toISOString()} ${label}: RSS ${kb("VmRSS")} MB, peak ${kb("VmHWM")} MB, data ${(bytes / 2 ** 20).toFixed(0)} MB`,
      );
    } catch {
      // exited
    }
  }, sampleMs);
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (schema) await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  const line = out.split("\n").find((l) => l.includes("peak RSS")) ?? out.trim();
  const peakMb = Number(/peak RSS (\d+) MB/.exec(line)?.[1] ?? Number.NaN);
  return { store, mode: allOrNothing ? "all-or-nothing" : "per-record", line, peakMb, seconds, code };
}

console.log(
  `${new Date().toISOString()} — ${rows} NDTMS rows; ${cpus()[0]?.model ?? "cpu"}, ${cpus().length} cores, Node ${process.version}`,
);
console.log("| store | mode | peak RSS | ratio to per-record | time | exit | CLI summary |");
console.log("|---|---|---:|---:|---:|---:|---|");
for (const store of stores) {
  const [perRecord, allOrNothing] = await Promise.all([run(store, false), run(store, true)]);
  for (const r of [perRecord, allOrNothing]) {
    const ratio = (r.peakMb / perRecord.peakMb).toFixed(2);
    console.log(
      `| ${r.store} | ${r.mode} | ${r.peakMb} MB | ${ratio} | ${r.seconds.toFixed(0)} s | ${r.code} | ${r.line.replace(/\|/g, "/")} |`,
    );
  }
}
