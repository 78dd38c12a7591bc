/**
 * Ingest benchmarks, each as a ratio to plain JSON.parse + JSON.stringify of the same output measured
 * in the same run: records/s per source for parse+map, for parse+map+validate, end to end into SQLite
 * (first load, not validated and validated; a re-send of the same file, every record unchanged), and the
 * same into a fresh schema of the PostgreSQL database BENCH_POSTGRES_URL names; plus the peak RSS of the
 * CLI ingesting a 100k-row NDTMS file next to a 100-row one. Every task runs once per round, in turn
 * (BENCH_ROUNDS, default 3); records/s is records over the total time of all rounds.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { validateResource } from "../src/fhir/validation/index.js";
import { ingest, type ResourceValidator } from "../src/ingest/ingest-service.js";
import { SOURCES } from "../src/ingest/sources.js";
import type { SourceName } from "../src/mapping/registry.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import type { Store } from "../src/store/port.js";
import { openPostgresStore } from "../src/store/postgres/index.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { cinXml, cpaNdjson, ndtmsCsv } from "./fixtures.js";

const text = (s: string) =>
  (async function* () {
    yield s;
  })();

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
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
async function freshPostgres(): Promise<{ store: Store; drop: () => Promise<void> } | undefined> {
  const url = process.env.BENCH_POSTGRES_URL;
  if (!url) return undefined;
  const name = `tfg_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name}`);
  const u = new URL(url);
  u.searchParams.set("options", `-c search_path=${name}`);
  const store = await openPostgresStore(u.toString(), loadMigrations());
  return {
    store,
    drop: async () => {
      await store.close();
      await admin.query(`DROP SCHEMA ${name} CASCADE`);
      await admin.end();
    },
  };
}

/** Ingests `input` into `store`; returns seconds. Fails if any record is rejected. */
async function ingestInto(store: Store, source: SourceName, input: string, mediaType: string, validate: boolean) {
  const def = SOURCES[source];
  if (!def) throw new Error(source);
  const [report, seconds] = await timed(() =>
    ingest(
      { store, clock: () => new Date(), ...(validate ? {} : { validate: false as const }) },
      def.mapping(),
      def.read({ kind: "stream", body: text(input), mediaType }),
      { retain: "rejected" },
    ),
  );
  if (report.counts.rejected > 0)
    throw new Error(`${source}: ${report.counts.rejected} rejected in the benchmark input`);
  return { seconds, report };
}

type StoreKind = "sqlite" | "postgres";

/** A fresh store of that kind (in-memory SQLite, or a fresh PostgreSQL schema), closed by `drop`. */
async function freshStore(kind: StoreKind): Promise<{ store: Store; drop: () => Promise<void> }> {
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
  const { store, drop } = await freshStore(kind);
  try {
    return (await ingestInto(store, source, input, mediaType, validate)).seconds;
  } finally {
    await drop();
  }
}

/** The same file sent again into the store it was loaded into: seconds of the second send (every record unchanged). */
async function resend(kind: StoreKind, source: SourceName, input: string, mediaType: string) {
  const { store, drop } = await freshStore(kind);
  try {
    await ingestInto(store, source, input, mediaType, true);
    const { seconds, report } = await ingestInto(store, source, input, mediaType, true);
    if (report.counts.unchanged !== report.counts.records)
      throw new Error(`${source}: a re-send changed ${report.counts.records - report.counts.unchanged} records`);
    return seconds;
  } finally {
    await drop();
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
  const tasks: [string, () => Promise<number>][] = [
    [
      "JSON.parse+stringify of the output (baseline)",
      () =>
        timed(async () => {
          for (const o of outputs) JSON.parse(JSON.stringify(o));
        }).then(([, s]) => s),
    ],
    ["parse + map", () => timed(() => mapOnly(source, input, mediaType)).then(([, s]) => s)],
    [
      "parse + map + validate",
      () => timed(() => mapOnly(source, input, mediaType, validateResource)).then(([, s]) => s),
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
        ] as [string, () => Promise<number>][])
      : []),
  ];
  outputs = await mapOnly(source, input, mediaType);
  const totals = new Map<string, number>(tasks.map(([name]) => [name, 0]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of tasks) totals.set(name, (totals.get(name) ?? 0) + (await run()));
  }
  // Records per second over all rounds (runs ÷ time), and the ratio to the baseline's.
  const rate = (name: string) => (ROUNDS * n) / (totals.get(name) ?? Number.NaN);
  const baseline = rate(tasks[0]?.[0] ?? "");
  return tasks.map(
    ([name]) => `| ${source} | ${name} | ${rate(name).toFixed(0)} | ${(rate(name) / baseline).toFixed(3)} |`,
  );
}

function peakRss(file: string, dataDir: string): { line: string; mb: number } {
  const out = execFileSync(
    process.execPath,
    // The V8 heap is capped at 64 MB: the run completing shows the file is streamed, not held.
    ["--max-old-space-size=64", "--import", "tsx", "src/runtime/cli/tfg.ts", "ingest", "ndtms", file, "--quiet"],
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
    "| source | task | records/s | ratio |",
    "|---|---|---:|---:|",
  ];
  lines.push(...(await benchSource("ndtms", 5000, ndtmsCsv(5000), "text/csv", ndtmsCsv(100))));
  lines.push(...(await benchSource("cpa", 1000, cpaNdjson(1000), "application/x-ndjson", cpaNdjson(50))));
  lines.push(...(await benchSource("cin", 1000, cinXml(1000), "application/xml", cinXml(50))));
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
