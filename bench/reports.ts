/**
 * `npm run bench:reports`: the cost of the completeness report and of walking the not-recorded list for one
 * organisation (1,000 open CPA episodes), as a ratio between a store holding only that organisation and one
 * where nine other organisations hold 9,000 more episodes — measured in the same run, on SQLite files.
 * Reads go through the search index, so the ratio should stay near 1. Prints a Markdown section.
 */
import { mkdtempSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { prepareWrite } from "../src/fhir/resource-service.js";
import { completenessSummary, notRecordedEpisodes } from "../src/reports/completeness.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import type { Store } from "../src/store/port.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { episode, parentalStatus, patient, provenance } from "../tests/node/reports-fixtures.js";

const PER_ORG = 1000;
const TODAY = "2026-04-15";
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

async function fill(store: Store, org: string, n: number) {
  let writes = [];
  for (let i = 0; i < n; i++) {
    const k = `${org}-${i}`;
    const produced = [
      patient(`p${k}`, org),
      episode(`e${k}`, org, `p${k}`),
      parentalStatus(`s${k}`, org, `p${k}`, i % 4 === 0 ? "not-recorded" : "no-children"),
    ];
    produced.push(
      provenance(
        `v${k}`,
        "cpa",
        produced.map((r) => `${r.resourceType}/${r.id}`),
      ),
    );
    const at = new Date(Date.parse("2026-04-01T00:00:00Z") + i).toISOString();
    for (const r of produced) writes.push(prepareWrite(r.resourceType, r.id, 1, at, r));
    if (writes.length >= 2000) {
      await store.commit({ resources: writes });
      writes = [];
    }
  }
  if (writes.length) await store.commit({ resources: writes });
}

async function open(others: number): Promise<Store> {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "tfg-rep-")), "r.db"), loadMigrations());
  await fill(store, "RX4", PER_ORG);
  for (let o = 0; o < others; o++) await fill(store, `RO${o}`, PER_ORG);
  return store;
}

async function time(store: Store): Promise<{ summary: number; list: number }> {
  let t = performance.now();
  const s = await completenessSummary(store, "RX4", TODAY);
  const summary = performance.now() - t;
  if (s.total.episodes !== PER_ORG) throw new Error(`expected ${PER_ORG} episodes, got ${s.total.episodes}`);
  t = performance.now();
  let n = 0;
  for await (const step of notRecordedEpisodes(store, "RX4", TODAY)) if (step.row) n++;
  if (n !== PER_ORG / 4) throw new Error(`expected ${PER_ORG / 4} listed, got ${n}`);
  return { summary, list: performance.now() - t };
}

const small = await open(0);
const large = await open(9);
await time(small); // warm up
await time(large);
const lines: string[] = [];
for (let r = 0; r < REPEATS; r++) {
  const a = await time(small);
  const b = await time(large);
  lines.push(
    `| ${r + 1} | ${a.summary.toFixed(0)} | ${b.summary.toFixed(0)} | ${(b.summary / a.summary).toFixed(2)} | ${a.list.toFixed(0)} | ${b.list.toFixed(0)} | ${(b.list / a.list).toFixed(2)} |`,
  );
}
await small.close();
await large.close();
console.log(`### Reports (${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? "?"} × ${cpus().length}, Node ${process.version})

One organisation with ${PER_ORG} open CPA episodes (a quarter not recorded); SQLite file; ms per full report.
"alone": the store holds only that organisation; "+9 orgs": nine others hold ${9 * PER_ORG} more episodes.

| run | summary alone | summary +9 orgs | ratio | list alone | list +9 orgs | ratio |
|---|---|---|---|---|---|---|
${lines.join("\n")}`);
