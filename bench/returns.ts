/**
 * `npm run bench:returns`: the mh-children return over a large synthetic CPA population on SQLite. Each adult is
 * written as its CPA record would be stored (Patient, CPA EpisodeOfCare, parental status Observation, a child
 * Patient for some, the ingest Provenance), straight through Store.commit (the mapping is not what is measured).
 * The build runs in a fresh process per size so its peak RSS is its own. Sizes: BENCH_RETURNS_SIZES
 * (default 20000,100000); prints a Markdown table with time, CPU time of the build process (steadier than the wall
 * clock on a shared machine), peak RSS and the per-adult cost ratios. `BENCH_RETURNS_REPEAT=N` builds each size N
 * times and keeps the run with the least CPU time.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { withOwner } from "../src/auth/ownership.js";
import { codeSystemUrl, profileUrl } from "../src/fhir/canonical.js";
import { prepareWrite } from "../src/fhir/resource-service.js";
import { buildReturn } from "../src/returns/build.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import type { ResourceWrite } from "../src/store/port.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";

type Json = Record<string, unknown> & { resourceType: string; id: string };
const coding = (system: string, code: string) => ({ coding: [{ system: codeSystemUrl(system), code }] });
const PROVIDERS = ["RX4", "RXE", "RXG", "RXT", "RXV"];
const STATES = ["children-in-household", "children-elsewhere", "no-children", "declined", "not-recorded"];
const DIR = process.env.BENCH_RETURNS_DIR ?? join(tmpdir(), "tfg-bench-returns");

/** The stored resources of adult `i`'s CPA record. */
function adult(i: number): Json[] {
  const org = PROVIDERS[i % PROVIDERS.length] as string;
  const k = String(i).padStart(8, "0");
  const out: Json[] = [];
  out.push(
    withOwner(
      {
        resourceType: "Patient",
        id: `p${k}`,
        identifier: [
          { system: `https://think-family-gateway.example/fhir/Id/mhsds-local-patient/${org}`, value: `L${k}` },
        ],
        birthDate: `19${60 + (i % 40)}-0${1 + (i % 9)}-1${i % 10}`,
      },
      org,
    ) as Json,
    withOwner(
      {
        resourceType: "EpisodeOfCare",
        id: `e${k}`,
        status: i % 7 === 0 ? "finished" : "active",
        type: [coding("episode-type", "cpa")],
        patient: { reference: `Patient/p${k}` },
        managingOrganization: { identifier: { system: "https://fhir.nhs.uk/Id/ods-organization-code", value: org } },
        period: { start: "2025-0" + (1 + (i % 9)) + "-01", ...(i % 7 === 0 ? { end: "2026-02-01" } : {}) },
      },
      org,
    ) as Json,
    withOwner(
      {
        resourceType: "Observation",
        id: `o${k}`,
        status: "final",
        code: coding("observation-code", "parental-status"),
        subject: { reference: `Patient/p${k}` },
        effectiveDateTime: "2026-01-02",
        valueCodeableConcept: coding("parental-status", STATES[i % STATES.length] as string),
        ...(i % 13 === 0
          ? {
              component: [
                {
                  code: coding("observation-code", "pregnancy-status"),
                  valueCodeableConcept: coding("pregnancy-status", "pregnant"),
                },
              ],
            }
          : {}),
      },
      org,
    ) as Json,
  );
  if (i % 5 < 2)
    out.push(
      withOwner(
        {
          resourceType: "Patient",
          id: `c${k}`,
          identifier: [
            { system: `https://think-family-gateway.example/fhir/Id/cpa-household-child/${org}`, value: `L${k}/K1` },
          ],
          birthDate: `20${10 + (i % 16)}-0${1 + (i % 9)}-0${1 + (i % 9)}`,
        },
        org,
      ) as Json,
    );
  out.push({
    resourceType: "Provenance",
    id: `v${k}`,
    meta: { profile: [profileUrl("TFG-Provenance")], source: "urn:tfg:source:cpa" },
    target: out.map((r) => ({ reference: `${r.resourceType}/${r.id}` })),
    recorded: "2026-04-01T08:00:00.000Z",
    agent: [{ who: { display: "Think Family Gateway ingest (cpa)" } }],
    entity: [{ role: "source", what: { identifier: { system: "urn:tfg:source-record:cpa", value: `${org}/L${k}` } } }],
  });
  return out;
}

/** Child mode `fill <n> <file>`: writes n adults. */
async function fill(n: number, file: string) {
  const store = await openSqliteStore(file, loadMigrations());
  let writes: ResourceWrite[] = [];
  const at = "2026-04-01T00:00:00.000Z";
  for (let i = 0; i < n; i++) {
    for (const r of adult(i)) writes.push(prepareWrite(r.resourceType, r.id, 1, at, r));
    if (writes.length >= 5000) {
      await store.commit({ resources: writes });
      writes = [];
    }
  }
  if (writes.length) await store.commit({ resources: writes });
  await store.close();
}

/** Child mode `build <file>`: builds the return and prints time, peak RSS and what it counted. */
async function build(file: string) {
  const store = await openSqliteStore(file, loadMigrations());
  const keys = { keyFor: () => ({ id: "bench", secret: new Uint8Array(32).fill(7) }) };
  const t = performance.now();
  const cpu = process.cpuUsage();
  const built = await buildReturn(
    { kind: "mh-children", period: { start: "2025-04-01", end: "2026-03-31" }, scope: {} },
    { store, keys },
  );
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  await store.close();
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({ ms, cpuMs, rssMb, recordsIn: built.risk.recordsIn, lines: built.files[0]?.bytes.length }),
  );
}

const [mode, a, b] = process.argv.slice(2);
if (mode === "fill") await fill(Number(a), b as string);
else if (mode === "build") await build(a as string);
else {
  const sizes = (process.env.BENCH_RETURNS_SIZES ?? "20000,100000").split(",").map(Number);
  mkdirSync(DIR, { recursive: true });
  const self = new URL(import.meta.url).pathname;
  const results: { n: number; ms: number; cpuMs: number; rssMb: number; fillMs: number }[] = [];
  for (const n of sizes) {
    const file = join(DIR, `mh-${n}.db`);
    let fillMs = 0;
    if (!existsSync(file)) {
      const t = performance.now();
      execFileSync("npx", ["tsx", self, "fill", String(n), file], { stdio: "inherit" });
      fillMs = performance.now() - t;
    }
    type Run = { ms: number; cpuMs: number; rssMb: number; recordsIn: number };
    let r: Run | undefined;
    for (let i = 0; i < Math.max(1, Number(process.env.BENCH_RETURNS_REPEAT ?? 1)); i++) {
      const out = execFileSync("npx", ["tsx", self, "build", file], { encoding: "utf8" });
      const run = JSON.parse(out.trim().split("\n").at(-1) as string) as Run;
      if (!r || run.cpuMs < r.cpuMs) r = run;
    }
    if (!r) throw new Error("no build ran");
    if (r.recordsIn !== n) throw new Error(`expected ${n} episodes read, got ${r.recordsIn}`);
    results.push({ n, ms: r.ms, cpuMs: r.cpuMs, rssMb: r.rssMb, fillMs });
  }
  const base = results[0];
  console.log(`### mh-children return (${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? "?"} × ${cpus().length}, Node ${process.version}, SQLite file)

| adults | build (s) | µs per adult | ratio to ${base?.n} | CPU (s) | CPU µs per adult | CPU ratio | peak RSS of the build (MB) | fill (s, not measured when reused) |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${results
  .map(
    (r) =>
      `| ${r.n} | ${(r.ms / 1000).toFixed(1)} | ${((r.ms * 1000) / r.n).toFixed(0)} | ${base ? (r.ms / r.n / (base.ms / base.n)).toFixed(2) : "-"} | ${(r.cpuMs / 1000).toFixed(1)} | ${((r.cpuMs * 1000) / r.n).toFixed(0)} | ${base ? (r.cpuMs / r.n / (base.cpuMs / base.n)).toFixed(2) : "-"} | ${r.rssMb.toFixed(0)} | ${(r.fillMs / 1000).toFixed(0)} |`,
  )
  .join("\n")}`);
}
