/** `npm run tfg -- ingest <source> <path>...`: ingests source files into the configured store with a progress bar per file. */
import { createReadStream, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { type OwnershipRule, ownershipRule } from "../../auth/ownership.js";
import { parseConfig } from "../../config.js";
import { GatewayError } from "../../fhir/errors.js";
import { isTimeZone, setServerTimeZone } from "../../fhir/search-dates.js";
import { reindexSearch } from "../../fhir/search-reindex.js";
import { ingest } from "../../ingest/ingest-service.js";
import type { IngestReport } from "../../ingest/report.js";
import type { IngestSender } from "../../ingest/sender.js";
import { type IngestInput, SOURCES, type SourceDefinition } from "../../ingest/sources.js";
import type { Store } from "../../store/port.js";
import { openNodeStore } from "../node.js";
import { auditVerifyCommand } from "./audit-verify.js";
import { RETURNS_USAGE, returnsCommand } from "./returns.js";

const USAGE = `Usage: npm run tfg -- ingest <source> <path>... --org ORG --user USER [--all-or-nothing] [--report FILE] [--quiet]
       npm run tfg -- reindex   rebuild the search index of every stored resource (after an upgrade)
       npm run tfg -- audit verify [--db FILE] [--head SEQ:HASH] [--from SEQ:HASH]   verify the audit hash chain
                (SQLite FILE, else the configured store; against a head an earlier verify printed; only after a
                trusted head); exit 0 intact, 1 broken (the first broken entry is named), 2 usage, 3 the store could not
                be read (docs/AUDIT.md)
${RETURNS_USAGE}
  <source>  ${Object.keys(SOURCES).join(" | ")}
  <path>    a file (.csv, .xml, .json, .ndjson), or a folder: for cpa and ssd a folder of CSV tables (one record set),
            for the other sources every file in it with their extension, in name order
  --org     the sending organisation's code (as a token's org claim): it must own the records (CPA OrgIDProv,
            NDTMS AGNCY, CIN LEA, SSD tfg_extract la_code) or be their owner's authorised submitter (TFG_INGEST_SUBMITTERS)
  --user    who is sending (user or system id); recorded with the organisation in every Provenance written
Stores into SQLite under TFG_DATA_DIR (default ./data), or PostgreSQL when TFG_DATABASE_URL is set.
Prints a line per file; --report writes the full per-record reports as JSON ({ files: [{ path, report }] }).
Exit status: 0 every record stored or unchanged, 3 some records rejected, 4 a file was refused whole (no
record in it, or its header, belongs to --org; nothing of it stored), 1 a file could not be read to the
end (the records before the problem are kept), 2 usage.`;

/** The namespace of `--user` ids in Provenance (the CLI has no token issuer). */
const CLI_ISSUER = "urn:tfg:cli";

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

/** The media type each file extension implies. */
const MEDIA_TYPE_BY_EXTENSION: Record<string, string> = {
  ".json": "application/json",
  ".ndjson": "application/x-ndjson",
  ".csv": "text/csv",
  ".xml": "application/xml",
};

/** The file extensions a source reads (those whose media type it accepts). */
const extensionsFor = (mediaTypes: string[]) =>
  Object.keys(MEDIA_TYPE_BY_EXTENSION).filter((ext) => mediaTypes.includes(MEDIA_TYPE_BY_EXTENSION[ext] as string));

/** A file becomes a stream in the media type its extension implies; a folder becomes named CSV tables. */
function inputFor(path: string, mediaTypes: string[], onBytes: (n: number) => void): IngestInput {
  if (statSync(path).isDirectory()) {
    const tables: Record<string, AsyncGenerator<Uint8Array>> = {};
    for (const name of readdirSync(path).filter((f) => f.toLowerCase().endsWith(".csv"))) {
      tables[name] = counted(join(path, name), onBytes);
    }
    return { kind: "tables", tables };
  }
  const implied = MEDIA_TYPE_BY_EXTENSION[extname(path).toLowerCase()];
  const mediaType = implied && mediaTypes.includes(implied) ? implied : (mediaTypes[0] as string);
  return { kind: "stream", body: counted(path, onBytes), mediaType };
}

/** Expands the paths: a cpa or ssd folder stays one input (CSV tables); other folders become their files. */
function expand(paths: string[], extensions: string[], tablesFolder: boolean): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const path = resolve(p);
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch {
      fail(`Cannot read ${p}`);
    }
    if (!st.isDirectory() || tablesFolder) {
      out.push(path);
      continue;
    }
    const files = readdirSync(path)
      .filter((f) => extensions.includes(extname(f).toLowerCase()))
      .sort();
    if (files.length === 0) fail(`No ${extensions.join(" or ")} files in ${p}`);
    out.push(...files.map((f) => join(path, f)));
  }
  return out;
}

/**
 * Peak resident memory of this process in MB: Linux `VmHWM` (reset by exec, so it is this process's own),
 * else getrusage's maxRSS, which on Linux survives exec and can report the parent's peak.
 */
function peakRssMb(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (hwm) return Math.round(Number(hwm[1]) / 1024);
  } catch {
    // not Linux
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

const sizeOf = (path: string) => {
  const st = statSync(path);
  return st.isDirectory() ? readdirSync(path).reduce((n, f) => n + statSync(join(path, f)).size, 0) : st.size;
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "all-or-nothing": { type: "boolean" },
      report: { type: "string" },
      quiet: { type: "boolean" },
      org: { type: "string" },
      user: { type: "string" },
      help: { type: "boolean" },
      db: { type: "string" },
      head: { type: "string" },
      from: { type: "string" },
      "org-type": { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      "scope-org": { type: "string" },
      la: { type: "string" },
      year: { type: "string" },
      out: { type: "string" },
    },
  });
  const [command, sourceName, ...given] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const zone = process.env.TFG_TIMEZONE || "UTC";
  if (!isTimeZone(zone)) fail("TFG_TIMEZONE must be an IANA time zone, e.g. Europe/London");
  setServerTimeZone(zone);
  if (command === "reindex") return reindexCommand();
  if (command === "audit") {
    if (sourceName !== "verify")
      fail("Usage: npm run tfg -- audit verify [--db FILE] [--head SEQ:HASH] [--from SEQ:HASH]");
    const status = await auditVerifyCommand(values.db, values.head, values.from);
    if (typeof status === "string") fail(status);
    process.exitCode = status;
    return;
  }
  if (command === "returns") {
    const status = await returnsCommand(sourceName, given, values);
    if (typeof status === "string") fail(status);
    process.exitCode = status;
    return;
  }
  if (command !== "ingest") fail(`Unknown command '${command}'`);
  const def =
    sourceName && Object.hasOwn(SOURCES, sourceName) ? SOURCES[sourceName as keyof typeof SOURCES] : undefined;
  if (!def) fail(`Unknown source '${sourceName ?? ""}'`);
  if (given.length === 0) fail("Name the file to ingest");
  if (!values.org || !/^[A-Za-z0-9]{1,16}$/.test(values.org)) fail("Name the sending organisation with --org CODE");
  if (!values.user?.trim()) fail("Name who is sending with --user ID");
  const paths = expand(given, extensionsFor(def.mediaTypes), def.mediaTypes.includes("multipart/form-data"));
  const sender: IngestSender = {
    org: values.org,
    subject: values.user.trim(),
    issuer: CLI_ISSUER,
    tokenId: { kind: "cli-run", value: crypto.randomUUID() },
  };
  const config = parseConfig(process.env);
  const ownership = ownershipRule(config.submitters);

  const store = await openNodeStore(process.env, resolve(process.env.TFG_DATA_DIR ?? "data"));
  const reports: { path: string; report: IngestReport }[] = [];
  let status = 0;
  try {
    for (const path of paths) {
      let report: IngestReport;
      try {
        report = await ingestOne(
          { store, ownership, maxResourceBytes: config.bodyLimitBytes },
          def,
          path,
          sender,
          values,
        );
      } catch (err) {
        if (!(err instanceof GatewayError) || err.status !== 403) throw err;
        console.log(`${def.name} ${basename(path)}: refused, nothing stored — ${err.message}`);
        if (status !== 1) status = 4;
        continue;
      }
      reports.push({ path, report });
      if (report.fatal) status = 1;
      else if (report.counts.rejected > 0 && status === 0) status = 3;
    }
    if (paths.length > 1) {
      const t = { records: 0, created: 0, updated: 0, unchanged: 0, rejected: 0 };
      for (const { report } of reports) for (const k of Object.keys(t) as (keyof typeof t)[]) t[k] += report.counts[k];
      console.log(
        `${def.name}, ${paths.length} files: ${t.records} records — created ${t.created}, updated ${t.updated}, unchanged ${t.unchanged}, rejected ${t.rejected}`,
      );
    }
    if (values.report) writeFileSync(values.report, `${JSON.stringify({ files: reports }, null, 2)}\n`);
    process.exitCode = status;
  } finally {
    await store.close();
  }
}

/** `tfg reindex`: rebuilds the search index of the configured store and prints what it did. */
async function reindexCommand(): Promise<void> {
  const store = await openNodeStore(process.env, resolve(process.env.TFG_DATA_DIR ?? "data"));
  try {
    const started = performance.now();
    const r = await reindexSearch(store);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`reindex: ${r.resources} resources in ${seconds} s (index version ${r.fromVersion} → ${r.toVersion})`);
  } finally {
    await store.close();
  }
}

/** Ingests one file (or CPA tables folder) with a progress bar; prints its summary line and first rejections. */
async function ingestOne(
  { store, ownership, maxResourceBytes }: { store: Store; ownership: OwnershipRule; maxResourceBytes: number },
  def: SourceDefinition,
  path: string,
  sender: IngestSender,
  values: { "all-or-nothing"?: boolean; report?: string; quiet?: boolean },
): Promise<IngestReport> {
  const showBar = !values.quiet && process.stderr.isTTY;
  const bar = new cliProgress.SingleBar(
    {
      format: `${def.name} ${basename(path)} [{bar}] {percentage}% | {records} records | {rejected} rejected`,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let read = 0;
  let rejected = 0;
  let records = 0;
  if (showBar) bar.start(sizeOf(path), 0, { records: 0, rejected: 0 });
  const started = performance.now();
  const report = await ingest(
    { store, clock: () => new Date(), ownership, maxResourceBytes },
    def.mapping(),
    def.read(
      inputFor(path, def.mediaTypes, (n) => {
        read += n;
      }),
    ),
    {
      mode: values["all-or-nothing"] ? "all-or-nothing" : "per-record",
      sender,
      ownerField: def.ownerField,
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
  const peakMb = peakRssMb();
  console.log(
    `${def.name} ${basename(path)}: ${c.records} records in ${seconds.toFixed(1)} s — created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, rejected ${c.rejected}; ${c.resourcesWritten} resource versions written; peak RSS ${peakMb} MB`,
  );
  if (report.fatal)
    console.log(
      `  stopped early: ${report.fatal.issue.map((i) => `${i.diagnostics} (${i.expression?.join(", ")})`).join("; ")}`,
    );
  for (const r of report.records.filter((x) => x.outcome === "rejected").slice(0, 10)) {
    console.log(
      `  rejected ${r.label}: ${r.issues?.issue.map((i) => `${i.expression?.join(", ") ?? ""} ${i.diagnostics}`).join("; ")}`,
    );
  }
  if (c.rejected > 10) console.log(`  … and ${c.rejected - 10} more (see --report)`);
  return report;
}

main().catch((err) => {
  console.error(`Ingest failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
