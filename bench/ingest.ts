/**
 * Ingest benchmarks, each as a ratio to plain JSON.parse + JSON.stringify of the same output measured
 * in the same run: records/s per source for parse+map, for parse+map+validate, and end to end into
 * SQLite (and into a fresh PostgreSQL database when BENCH_POSTGRES_URL names a server); plus the peak
 * RSS of the CLI ingesting a 100k-row NDTMS file next to a 100-row one.
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

/** Ingests `input` into `store` (default: a fresh in-memory SQLite); returns seconds. Fails if any record is rejected. */
async function endToEnd(
  source: SourceName,
  input: string,
  mediaType: string,
  validate: boolean,
  given?: Store,
): Promise<number> {
  const store = given ?? (await openSqliteStore(":memory:", loadMigrations()));
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
  if (!given) await store.close();
  if (report.counts.rejected > 0)
    throw new Error(`${source}: ${report.counts.rejected} rejected in the benchmark input`);
  return seconds;
}

/** Returns Markdown rows for one source. */
async function benchSource(source: SourceName, n: number, input: string, mediaType: string): Promise<string[]> {
  await mapOnly(source, input.slice(0, 20_000), mediaType, validateResource); // warm-up
  const [outputs, mapSeconds] = await timed(() => mapOnly(source, input, mediaType));
  const [, baselineSeconds] = await timed(async () => {
    for (const o of outputs) JSON.parse(JSON.stringify(o));
  });
  const [, validatedSeconds] = await timed(() => mapOnly(source, input, mediaType, validateResource));
  const row = (task: string, s: number) =>
    `| ${source} | ${task} | ${(n / s).toFixed(0)} | ${(baselineSeconds / s).toFixed(3)} |`;
  const rows = [
    row("JSON.parse+stringify of the output (baseline)", baselineSeconds),
    row("parse + map", mapSeconds),
    row("parse + map + validate", validatedSeconds),
    row("end to end into SQLite (in memory), not validated", await endToEnd(source, input, mediaType, false)),
    row("end to end into SQLite (in memory), validated (the default)", await endToEnd(source, input, mediaType, true)),
  ];
  const postgres = await freshPostgres();
  if (postgres) {
    try {
      rows.push(
        row(
          "end to end into PostgreSQL (local server), validated",
          await endToEnd(source, input, mediaType, true, postgres.store),
        ),
      );
    } finally {
      await postgres.drop();
    }
  }
  return rows;
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
    "\n### Ingest: records/s per source (ratio to JSON.parse + JSON.stringify of the same output)\n",
    "| source | task | records/s | ratio |",
    "|---|---|---:|---:|",
  ];
  lines.push(...(await benchSource("ndtms", 5000, ndtmsCsv(5000), "text/csv")));
  lines.push(...(await benchSource("cpa", 1000, cpaNdjson(1000), "application/x-ndjson")));
  lines.push(...(await benchSource("cin", 1000, cinXml(1000), "application/xml")));
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
