/**
 * `npm run bench`: gateway throughput as ratios to baselines measured in the same run.
 *  - HTTP (in process, app.request): hello-world Hono route vs gateway read and search (with JWT verification).
 *  - Storage: SqlStore commits vs raw better-sqlite3 inserts of the same rows, single and batched.
 *  - Ingest (bench/ingest.ts): records/s per source vs JSON round trip of the output; peak RSS of the CLI.
 *  - Validation (bench/validation.ts): µs per resource of the golden outputs, ajv layers vs with invariants.
 * Prints a Markdown section for docs/BENCHMARKS.md.
 */
import { cpus, totalmem } from "node:os";
import Database from "better-sqlite3";
import { Hono } from "hono";
import { Bench } from "tinybench";
import { prepareWrite } from "../src/fhir/resource-service.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { createTestApp } from "../tests/support/test-app.js";
import { PRACTITIONER } from "../tests/support/tokens.js";
import { ingestBench } from "./ingest.js";
import { validationBench } from "./validation.js";

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 1500);
const rows: string[] = [];

function patient(i: number) {
  return {
    resourceType: "Patient",
    id: `p-${i}`,
    identifier: [{ system: "https://fhir.nhs.uk/Id/nhs-number", value: String(9990000000 + i) }],
    gender: i % 2 ? "female" : "male",
    birthDate: "1985-04-02",
    address: [
      {
        postalCode: "ZZ99 9ZZ",
        extension: [
          { url: "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey", valueString: `UPRN-${i}` },
        ],
      },
    ],
  };
}

function report(title: string, bench: Bench, baseline: string) {
  const base = bench.tasks.find((t) => t.name === baseline)?.result;
  const hz = (name: string) => {
    const r = bench.tasks.find((t) => t.name === name)?.result as { throughput?: { mean: number } } | undefined;
    return r?.throughput?.mean ?? 0;
  };
  const baseHz = hz(baseline);
  if (!base) throw new Error(`no baseline ${baseline}`);
  rows.push(`\n### ${title}\n`, "| task | ops/s | ratio to baseline |", "|---|---:|---:|");
  for (const t of bench.tasks) {
    const v = hz(t.name);
    rows.push(`| ${t.name} | ${v.toFixed(0)} | ${(v / baseHz).toFixed(3)} |`);
  }
}

async function httpBench() {
  const store = await openSqliteStore(":memory:", loadMigrations());
  const t = await createTestApp(store);
  for (let i = 0; i < 1000; i++)
    await store.commit({ resources: [prepareWrite("Patient", `p-${i}`, 1, new Date().toISOString(), patient(i))] });
  const hello = new Hono().get("/hello", (c) => c.json({ hello: "world" }));
  let n = 0;
  let m = 0;
  // Distinct tokens, so the verified-token cache cannot help (more than the task can use in its time).
  const fresh = await Promise.all(
    Array.from({ length: 30_000 }, (_, i) => t.issuer.sign({ ...PRACTITIONER, sub: `u-${i}` })),
  );
  const bench = new Bench({ time: TIME_MS, warmupTime: 300 });
  bench
    .add("hello-world Hono route (baseline)", async () => {
      await hello.request("http://x/hello");
    })
    .add("gateway read GET /fhir/Patient/:id", async () => {
      const res = await t.fhir(`/fhir/Patient/p-${n++ % 1000}`);
      if (res.status !== 200) throw new Error(String(res.status));
      await res.arrayBuffer();
    })
    .add("gateway search GET /fhir/Patient?identifier=", async () => {
      const res = await t.fhir(`/fhir/Patient?identifier=${9990000000 + (n++ % 1000)}`);
      if (res.status !== 200) throw new Error(String(res.status));
      await res.arrayBuffer();
    })
    .add("gateway search page of 20 GET /fhir/Patient?_count=20", async () => {
      const res = await t.fhir("/fhir/Patient?_count=20");
      await res.arrayBuffer();
    })
    .add("gateway read with a never-seen token (full ES256 verification)", async () => {
      const token = fresh[m++ % fresh.length];
      const res = await t.fhir(`/fhir/Patient/p-${n++ % 1000}`, { headers: { Authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(String(res.status));
      await res.arrayBuffer();
    });
  await bench.run();
  report(
    "HTTP in process (app.request), SQLite in memory, 1,000 patients; a repeated token is verified once and then cached",
    bench,
    "hello-world Hono route (baseline)",
  );
  await store.close();
}

async function storeBench() {
  const store = await openSqliteStore(":memory:", loadMigrations());
  const raw = new Database(":memory:");
  raw.exec(
    "CREATE TABLE r (resource_type TEXT, id TEXT, version_id INTEGER, last_updated TEXT, content TEXT, PRIMARY KEY (resource_type, id, version_id))",
  );
  const insert = raw.prepare("INSERT INTO r VALUES (?, ?, ?, ?, ?)");
  const insertMany = raw.transaction((items: ReturnType<typeof patient>[]) => {
    for (const p of items) insert.run("Patient", p.id, 1, new Date().toISOString(), JSON.stringify(p));
  });
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const batch = (start: number) => Array.from({ length: 100 }, (_, k) => patient(start + k));
  const bench = new Bench({ time: TIME_MS, warmupTime: 300 });
  bench
    .add("raw better-sqlite3 insert, 1 row (baseline)", () => {
      const p = patient(a++);
      insert.run("Patient", p.id, 1, new Date().toISOString(), JSON.stringify(p));
    })
    .add("store commit, 1 resource (version + current + index)", async () => {
      const p = patient(b++);
      await store.commit({ resources: [prepareWrite("Patient", p.id, 1, new Date().toISOString(), p)] });
    })
    .add("raw better-sqlite3 insert, 100 rows in 1 transaction", () => {
      c += 100;
      insertMany(batch(c + 10_000_000));
    })
    .add("store commit, 100 resources in 1 change set", async () => {
      const now = new Date().toISOString();
      d += 100;
      await store.commit({
        resources: batch(10_000_000 + d).map((p) => prepareWrite("Patient", p.id, 1, now, p)),
      });
    });
  await bench.run();
  report(
    "SQLite inserts (in memory): gateway store vs raw driver, same rows",
    bench,
    "raw better-sqlite3 insert, 1 row (baseline)",
  );
  const perRow = (name: string) => {
    const r = bench.tasks.find((t) => t.name === name)?.result as { throughput?: { mean: number } } | undefined;
    return (r?.throughput?.mean ?? 0) * 100;
  };
  rows.push(
    "",
    `Rows/s in batches of 100: raw ${perRow("raw better-sqlite3 insert, 100 rows in 1 transaction").toFixed(0)}, store ${perRow("store commit, 100 resources in 1 change set").toFixed(0)} (ratio ${(perRow("store commit, 100 resources in 1 change set") / perRow("raw better-sqlite3 insert, 100 rows in 1 transaction")).toFixed(3)}).`,
  );
  await store.close();
  raw.close();
}

await httpBench();
await storeBench();
if (process.env.BENCH_INGEST !== "0") rows.push(await ingestBench());
rows.push(validationBench());
const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(
  [
    `## ${new Date().toISOString().slice(0, 10)} — ${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    `Each task ran for ${TIME_MS} ms after a warm-up; ratios are to the baseline of the same table, measured in the same run.`,
    ...rows,
  ].join("\n"),
);
