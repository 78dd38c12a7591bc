/** `npm run tfg -- ingest <source> <file>`: ingests a source file into the configured store with a progress bar. */
import { createReadStream, readdirSync, statSync, writeFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { ingest } from "../../ingest/ingest-service.js";
import { type IngestInput, SOURCES } from "../../ingest/sources.js";
import { openNodeStore } from "../node.js";

const USAGE = `Usage: npm run tfg -- ingest <source> <file> [--all-or-nothing] [--report FILE] [--quiet]
  <source>  ${Object.keys(SOURCES).join(" | ")}
Stores into SQLite under TFG_DATA_DIR (default ./data), or PostgreSQL when TFG_DATABASE_URL is set.
Prints a summary; --report writes the full per-record report as JSON.`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function* counted(path: string, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    onBytes((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}

/** A file becomes a stream in the media type its extension implies; a folder becomes named CSV tables. */
function inputFor(path: string, mediaTypes: string[], onBytes: (n: number) => void): IngestInput {
  if (statSync(path).isDirectory()) {
    const tables: Record<string, AsyncGenerator<Uint8Array>> = {};
    for (const name of readdirSync(path).filter((f) => f.toLowerCase().endsWith(".csv"))) {
      tables[name] = counted(join(path, name), onBytes);
    }
    return { kind: "tables", tables };
  }
  const ext = extname(path).toLowerCase();
  const byExt: Record<string, string> = {
    ".json": "application/json",
    ".ndjson": "application/x-ndjson",
    ".csv": "text/csv",
    ".xml": "application/xml",
  };
  const mediaType =
    byExt[ext] && mediaTypes.includes(byExt[ext] as string) ? (byExt[ext] as string) : (mediaTypes[0] as string);
  return { kind: "stream", body: counted(path, onBytes), mediaType };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "all-or-nothing": { type: "boolean" },
      report: { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  const [command, sourceName, file] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  if (command !== "ingest") fail(`Unknown command '${command}'`);
  const def =
    sourceName && Object.hasOwn(SOURCES, sourceName) ? SOURCES[sourceName as keyof typeof SOURCES] : undefined;
  if (!def) fail(`Unknown source '${sourceName ?? ""}'`);
  if (!file) fail("Name the file to ingest");
  const path = resolve(file);
  let size = 0;
  try {
    const st = statSync(path);
    size = st.isDirectory() ? readdirSync(path).reduce((n, f) => n + statSync(join(path, f)).size, 0) : st.size;
  } catch {
    fail(`Cannot read ${file}`);
  }

  const store = await openNodeStore(process.env, resolve(process.env.TFG_DATA_DIR ?? "data"));
  const showBar = !values.quiet && process.stderr.isTTY;
  const bar = new cliProgress.SingleBar(
    { format: `${def.name} [{bar}] {percentage}% | {records} records | {rejected} rejected`, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let read = 0;
  let rejected = 0;
  let records = 0;
  if (showBar) bar.start(size, 0, { records: 0, rejected: 0 });
  const started = performance.now();
  try {
    const report = await ingest(
      { store, clock: () => new Date() },
      def.mapping(),
      def.read(
        inputFor(path, def.mediaTypes, (n) => {
          read += n;
        }),
      ),
      {
        mode: values["all-or-nothing"] ? "all-or-nothing" : "per-record",
        retain: values.report ? "all" : "rejected",
        onRecord: (r) => {
          records++;
          if (r.outcome === "rejected") rejected++;
          if (showBar && records % 100 === 0) bar.update(read, { records, rejected });
        },
      },
    );
    if (showBar) {
      bar.update(read, { records, rejected });
      bar.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    const c = report.counts;
    const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(
      `${def.name}: ${c.records} records in ${seconds.toFixed(1)} s — created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, rejected ${c.rejected}; ${c.resourcesWritten} resource versions written; peak RSS ${peakMb} MB`,
    );
    if (report.fatal)
      console.log(
        `Stopped early: ${report.fatal.issue.map((i) => `${i.diagnostics} (${i.expression?.join(", ")})`).join("; ")}`,
      );
    for (const r of report.records.filter((x) => x.outcome === "rejected").slice(0, 10)) {
      console.log(
        `  rejected ${r.label}: ${r.issues?.issue.map((i) => `${i.expression?.join(", ") ?? ""} ${i.diagnostics}`).join("; ")}`,
      );
    }
    if (c.rejected > 10) console.log(`  … and ${c.rejected - 10} more (see --report)`);
    if (values.report) writeFileSync(values.report, `${JSON.stringify(report, null, 2)}\n`);
    process.exitCode = report.fatal ? 1 : 0;
  } finally {
    await store.close();
  }
}

main().catch((err) => {
  console.error(`Ingest failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
