/**
 * `npm run linkage:score -- DIR [--json]`: ingests a `npm run synth` output folder into a fresh in-memory
 * SQLite store with derivation on, then scores person links, household membership and
 * household-has-children against DIR/ground-truth.json (docs/LINKAGE.md) and prints a table (or JSON).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DERIVERS } from "../../derive/chain.js";
import { householdsDeriver } from "../../households/deriver.js";
import { runDeriversInterim } from "../../households/interim-runner.js";
import { ingestPopulation, type PopulationFile, senderOf } from "../../linkage-score/ingest-population.js";
import { readProduct } from "../../linkage-score/product.js";
import { score } from "../../linkage-score/score.js";
import { formatScore } from "../../linkage-score/table.js";
import type { GroundTruth } from "../../linkage-score/truth.js";
import { openSqliteStore } from "../../store/sqlite/index.js";
import { loadMigrations } from "../migration-files.js";

const USAGE = `Usage: npm run linkage:score -- DIR [--json | --misses] [--db FILE [--score-only]]
  DIR       a folder written by npm run synth (its files and ground-truth.json)
  --json    print the report as JSON instead of a table (household-has-children misses included)
  --misses  print only the adults household-has-children scored wrongly (synthetic person ids), one JSON line each
  --db FILE keep the store in this SQLite file instead of memory (created if absent)
  --score-only  with --db: score the store as it is, without ingesting or deriving`;

function filesUnder(dir: string, root = dir): PopulationFile[] {
  const out: PopulationFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, root));
    else {
      const rel = relative(root, path).split("\\").join("/");
      if (senderOf(rel)) out.push({ path: rel, content: readFileSync(path, "utf8") });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      misses: { type: "boolean" },
      db: { type: "string" },
      "score-only": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  const [dirArg] = positionals;
  if (values.help || !dirArg) {
    console.log(USAGE);
    process.exitCode = dirArg || values.help ? 0 : 2;
    return;
  }
  const dir = resolve(dirArg);
  const truth = JSON.parse(readFileSync(join(dir, "ground-truth.json"), "utf8")) as GroundTruth;
  const store = await openSqliteStore(values.db ? resolve(values.db) : ":memory:", loadMigrations());
  try {
    const started = performance.now();
    // Ingest runs on the reference date's next day: nothing derived depends on it.
    const now = new Date(`${truth.referenceDate}T12:00:00.000Z`);
    const ingested = values["score-only"]
      ? { reports: [], keys: [] }
      : await ingestPopulation(store, filesUnder(dir), () => now);
    const rejected = ingested.reports.reduce((n, r) => n + r.report.counts.rejected, 0);
    const ingestSeconds = (performance.now() - started) / 1000;
    // Until the derivation runner (src/derive/run.ts) drives the chain from ingest, run the households deriver here.
    const groups = await store.search({ resourceType: "Group", criteria: [], count: 1, sort: "id" });
    let derivation = "derivation chain run by ingest (src/derive/chain.ts)";
    if (values["score-only"]) derivation = "scored the store as it was (--score-only)";
    else if (DERIVERS.length === 0 || groups.versions.length === 0) {
      const touched = ingested.keys.filter((k) => k.startsWith("Patient/") || k.startsWith("RelatedPerson/"));
      await runDeriversInterim(store, [householdsDeriver], touched, now.toISOString());
      derivation = "households deriver run after ingest (interim: no derivation runner in this build)";
    }
    const seconds = (performance.now() - started) / 1000;
    const product = await readProduct(store, truth.referenceDate);
    const report = score(truth, product);
    const meta = {
      dir,
      records: ingested.reports.reduce((n, r) => n + r.report.counts.records, 0),
      rejected,
      patients: product.records.size,
      persons: product.persons.length,
      groups: product.households.length,
      derivation,
      ingestSeconds: Number(ingestSeconds.toFixed(1)),
      totalSeconds: Number(seconds.toFixed(1)),
    };
    if (values.json) console.log(JSON.stringify({ ...meta, ...report }, null, 2));
    else if (values.misses) for (const m of report.householdHasChildren.misses) console.log(JSON.stringify(m));
    else {
      console.log(
        `linkage:score ${dir}: ${meta.records} records (${rejected} rejected), ${meta.patients} Patients, ${meta.persons} Persons, ${meta.groups} households; ${derivation}; ${meta.totalSeconds} s\n`,
      );
      console.log(formatScore(report));
    }
  } finally {
    await store.close();
  }
}

await main();
