/**
 * Ingest benchmarks, each as a ratio to plain JSON.parse + JSON.stringify of the same output measured
 * in the same run: records/s per source for parse+map, for parse+map+validate, end to end into SQLite
 * (first load, not validated and validated; a re-send of the same file, every record unchanged), and the
 * same into a fresh schema of the PostgreSQL database BENCH_POSTGRES_URL names; plus the peak RSS of the
 * CLI ingesting a 100k-row NDTMS file next to a 100-row one. Every task runs once per round, in turn
 * (BENCH_ROUNDS, default 3); records/s is records over the total time of all rounds (runs ÷ time), by
 * the wall clock and per CPU second (this process, plus the PostgreSQL backends serving it, read from
 * /proc): on a machine shared with other work the CPU figures are the steadier ones.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { validateResource } from "../src/fhir/validation/index.js";
import { ingest, type ResourceValidator } from "../src/ingest/ingest-service.js";
import type { IngestSender } from "../src/ingest/sender.js";
import { SOURCES } from "../src/ingest/sources.js";
import type { SourceName } from "../src/mapping/registry.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import type { Store } from "../src/store/port.js";
import { openPostgresStore } from "../src/store/postgres/index.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { ndtmsIngestArgs } from "./cli-ingest.js";
import { cinXml, cpaNdjson, ndtmsCsv } from "./fixtures.js";

const text = (s: string) =>
  (async function* () {
    yield s;
  })();

/** Wall-clock and CPU seconds of a task. CPU: this process (all its threads) plus `extraCpu` (e.g. PostgreSQL backends). */
interface Timing {
  wall: number;
  cpu: number;
}

const processCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function timed<T>(fn: () => Promise<T>, extraCpu?: () => Promise<number>): Promise<[T, Timing]> {
  const extra0 = extraCpu ? await extraCpu() : 0;
  const c0 = processCpu();
  const t0 = performance.now();
  const r = await fn();
  const wall = (performance.now() - t0) / 1000;
  const cpu = processCpu() - c0 + (extraCpu ? (await extraCpu()) - extra0 : 0);
  return [r, { wall, cpu }];
}

/** Linux clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every mainstream kernel). */
const USER_HZ = 100;

/** CPU seconds used so far by the PostgreSQL backends serving `database` (other than `except`), from /proc. */
async function backendCpu(admin: pg.Client, except: number): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> $1",
    [except],
  );
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      // Fields after the command name: state is field 3, utime 14 and stime 15 (1-based, proc(5)).
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Not on this machine (a remote server) or already gone: counted as nothing.
    }
  }
  return ticks / USER_HZ;
}

/** Maps every record of `input`; returns the produced resources per record. */
async function mapOnly(source: SourceName, input: string, mediaType: string, validate?: ResourceValidator) {
  const def = SOURCES[source];
  if (!def) throw new Error(source);
  const mapping = def.mapping();
  const outputs: unknown[] = [];
  for await (const e of def.read({ kind: "stream", body: text(input), mediaType })) {
    if (e.kind !== "record") continue;
    const m = await mapping.map(e.record);
    if (validate) for (const r of m.resources) validate(r.resource);
    outputs.push(m.resources.map((r) => r.resource));
  }
  return outputs;
}

/**
 * A fresh schema in the PostgreSQL database of `BENCH_POSTGRES_URL` (created, opened with it as the
 * search path, and dropped on close), or undefined when the variable is not set.
 */
async function freshPostgres(): Promise<Fresh | undefined> {
  const url = process.env.BENCH_POSTGRES_URL;
  if (!url) return undefined;
  const name = `tfg_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name}`);
  const u = new URL(url);
  u.searchParams.set("options", `-c search_path=${name}`);
  const store = await openPostgresStore(u.toString(), loadMigrations());
  const self = (await admin.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid ?? -1;
  return {
    store,
    serverCpu: () => backendCpu(admin, self),
    drop: async () => {
      await store.close();
      await admin.query(`DROP SCHEMA ${name} CASCADE`);
      await admin.end();
    },
  };
}

/** The owner of every record in the benchmark inputs (bench/fixtures.ts) sends them. */
const benchSender = (source: SourceName): IngestSender => ({
  org: { ndtms: "N0852", cpa: "RX4", cin: "201", ssd: "991" }[source],
  subject: "bench",
  issuer: "urn:tfg:bench",
  tokenId: { kind: "cli-run", value: "bench" },
});

/** A fresh store; `serverCpu` reads the CPU seconds a database server process has used for it so far. */
interface Fresh {
  store: Store;
  serverCpu?: () => Promise<number>;
  drop: () => Promise<void>;
}

/** Ingests `input` into a fresh store; returns its timing. Fails if any record is rejected. */
async function ingestInto(fresh: Fresh, source: SourceName, input: string, mediaType: string, validate: boolean) {
  const def = SOURCES[source];
  if (!def) throw new Error(source);
  const [report, timing] = await timed(
    () =>
      ingest(
        { store: fresh.store, clock: () => new Date(), ...(validate ? {} : { validate: false as const }) },
        def.mapping(),
        def.read({ kind: "stream", body: text(input), mediaType }),
        { retain: "rejected", sender: benchSender(source), ownerField: def.ownerField },
      ),
    fresh.serverCpu,
  );
  if (report.counts.rejected > 0)
    throw new Error(`${source}: ${report.counts.rejected} rejected in the benchmark input`);
  return { timing, report };
}

type StoreKind = "sqlite" | "postgres";

/** A fresh store of that kind (in-memory SQLite, or a fresh PostgreSQL schema), closed by `drop`. */
async function freshStore(kind: StoreKind): Promise<Fresh> {
  if (kind === "postgres") {
    const pg = await freshPostgres();
    if (!pg) throw new Error("BENCH_POSTGRES_URL is not set");
    return pg;
  }
  const store = await openSqliteStore(":memory:", loadMigrations());
  return { store, drop: () => store.close() };
}

/** First load into a fresh store: seconds. */
async function endToEnd(kind: StoreKind, source: SourceName, input: string, mediaType: string, validate: boolean) {
  const fresh = await freshStore(kind);
  try {
    return (await ingestInto(fresh, source, input, mediaType, validate)).timing;
  } finally {
    await fresh.drop();
  }
}

/** The same file sent again into the store it was loaded into: seconds of the second send (every record unchanged). */
async function resend(kind: StoreKind, source: SourceName, input: string, mediaType: string) {
  const fresh = await freshStore(kind);
  try {
    await ingestInto(fresh, source, input, mediaType, true);
    const { timing, report } = await ingestInto(fresh, source, input, mediaType, true);
    if (report.counts.unchanged !== report.counts.records)
      throw new Error(`${source}: a re-send changed ${report.counts.records - report.counts.unchanged} records`);
    return timing;
  } finally {
    await fresh.drop();
  }
}

/** Rounds per task: every task runs once per round, in turn, so a busy moment on the machine spreads over all of them. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

/** Returns Markdown rows for one source. */
async function benchSource(source: SourceName, n: number, input: string, mediaType: string, warm: string) {
  await mapOnly(source, warm, mediaType, validateResource); // warm-up
  await endToEnd("sqlite", source, warm, mediaType, true);
  let outputs: unknown[] = [];
  const postgres = Boolean(process.env.BENCH_POSTGRES_URL);
  const tasks: [string, () => Promise<Timing>][] = [
    [
      "JSON.parse+stringify of the output (baseline)",
      () =>
        timed(async () => {
          for (const o of outputs) JSON.parse(JSON.stringify(o));
        }).then(([, t]) => t),
    ],
    ["parse + map", () => timed(() => mapOnly(source, input, mediaType)).then(([, t]) => t)],
    [
      "parse + map + validate",
      () => timed(() => mapOnly(source, input, mediaType, validateResource)).then(([, t]) => t),
    ],
    ["end to end into SQLite (in memory), not validated", () => endToEnd("sqlite", source, input, mediaType, false)],
    [
      "end to end into SQLite (in memory), validated (the default)",
      () => endToEnd("sqlite", source, input, mediaType, true),
    ],
    ["re-send into SQLite, every record unchanged", () => resend("sqlite", source, input, mediaType)],
    ...(postgres
      ? ([
          [
            "end to end into PostgreSQL (local server), validated",
            () => endToEnd("postgres", source, input, mediaType, true),
          ],
          ["re-send into PostgreSQL, every record unchanged", () => resend("postgres", source, input, mediaType)],
        ] as [string, () => Promise<Timing>][])
      : []),
  ];
  outputs = await mapOnly(source, input, mediaType);
  const totals = new Map<string, Timing>(tasks.map(([name]) => [name, { wall: 0, cpu: 0 }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of tasks) {
      const t = await run();
      const sum = totals.get(name) as Timing;
      totals.set(name, { wall: sum.wall + t.wall, cpu: sum.cpu + t.cpu });
    }
  }
  // Records per second over all rounds (runs ÷ time), and the ratio to the baseline's; the same per CPU second.
  const rate = (name: string, clock: keyof Timing) => (ROUNDS * n) / (totals.get(name)?.[clock] ?? Number.NaN);
  const base = tasks[0]?.[0] ?? "";
  const rows = tasks.map(
    ([name]) =>
      `| ${source} | ${name} | ${rate(name, "wall").toFixed(0)} | ${(rate(name, "wall") / rate(base, "wall")).toFixed(3)} | ${rate(name, "cpu").toFixed(0)} | ${(rate(name, "cpu") / rate(base, "cpu")).toFixed(3)} |`,
  );
  console.error(rows.join("\n")); // progress: the whole table prints at the end
  return rows;
}

function peakRss(file: string, dataDir: string): { line: string; mb: number } {
  const out = execFileSync(
    process.execPath,
    // The V8 heap is capped at 64 MB: the run completing shows the file is streamed, not held.
    ["--max-old-space-size=64", ...ndtmsIngestArgs(file, ["--quiet"])],
    {
      env: { ...process.env, TFG_DATA_DIR: dataDir },
      encoding: "utf8",
    },
  );
  const line = out.split("\n").find((l) => l.startsWith("ndtms ")) ?? out;
  return { line: line.trim(), mb: Number(/peak RSS (\d+) MB/.exec(line)?.[1] ?? Number.NaN) };
}

/** Runs the ingest benchmarks and returns a Markdown section. */
export async function ingestBench(): Promise<string> {
  const lines = [
    `\n### Ingest: records/s per source (ratio to JSON.parse + JSON.stringify of the same output; ${ROUNDS} rounds, runs ÷ time)\n`,
    "| source | task | records/s | ratio | records/CPU-s | ratio (CPU) |",
    "|---|---|---:|---:|---:|---:|",
  ];
  // BENCH_SCALE shrinks (or grows) the inputs, e.g. 0.05 for a quick check that the benchmark runs.
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  const [nd, cp, ci] = [5000, 1000, 1000].map((n) => Math.max(10, Math.round(n * scale))) as [number, number, number];
  lines.push(...(await benchSource("ndtms", nd, ndtmsCsv(nd), "text/csv", ndtmsCsv(100))));
  lines.push(...(await benchSource("cpa", cp, cpaNdjson(cp), "application/x-ndjson", cpaNdjson(50))));
  lines.push(...(await benchSource("cin", ci, cinXml(ci), "application/xml", cinXml(50))));
  if (process.env.BENCH_RSS !== "0") {
    const dir = mkdtempSync(join(tmpdir(), "tfg-bench-"));
    try {
      writeFileSync(join(dir, "small.csv"), ndtmsCsv(100));
      writeFileSync(join(dir, "big.csv"), ndtmsCsv(100_000));
      const small = peakRss(join(dir, "small.csv"), join(dir, "data-small"));
      const big = peakRss(join(dir, "big.csv"), join(dir, "data-big"));
      const dbMb = (sub: string) => (statSync(join(dir, sub, "tfg.sqlite")).size / 1e6).toFixed(0);
      lines.push(
        "\n### Peak RSS of `npm run tfg -- ingest ndtms` (SQLite file store, V8 heap capped at 64 MB)\n",
        "| file | result | peak RSS | SQLite file |",
        "|---|---|---:|---:|",
        `| 100 rows | ${small.line.replace(/; peak RSS.*$/, "")} | ${small.mb} MB | ${dbMb("data-small")} MB |`,
        `| 100,000 rows (${(ndtmsCsv(100_000).length / 1e6).toFixed(1)} MB) | ${big.line.replace(/; peak RSS.*$/, "")} | ${big.mb} MB | ${dbMb("data-big")} MB |`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return lines.join("\n");
}
