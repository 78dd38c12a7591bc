/**
 * `npm run bench:linkage`: the person index's cost per new record in populations of 10,000 and 100,000
 * households (same run, same machine: their ratio is the claim), and ingest records/s with the
 * derivation chain on as a ratio to the same ingest with it off. Prints a Markdown section for docs/BENCHMARKS.md.
 *
 * The populations are loaded straight into SQLite (Patients of 2–3 people a household sharing a surname
 * and postcode, ~15 households a postcode, each with its Person), then BENCH_NEW records (default 300:
 * half another source's record of someone present, half someone new) are each planned, derived and
 * committed as ingest does, one commit each, into an in-memory SQLite database (so the figure is the
 * linker's reads and the commit, not the disk's fsync). Wall and CPU time are both reported.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { DERIVERS } from "../src/derive/chain.js";
import { runDerivers } from "../src/derive/run.js";
import { prepareWrite } from "../src/fhir/resource-service.js";
import { ingest } from "../src/ingest/ingest-service.js";
import { SOURCES } from "../src/ingest/sources.js";
import { personIndexDeriver } from "../src/linkage/person-index.js";
import { personOf } from "../src/linkage/resources.js";
import { mappingFor, type SourceName } from "../src/mapping/registry.js";
import { cpaJsonRecords } from "../src/mapping/sources/cpa.js";
import { ndtmsRecords } from "../src/mapping/sources/ndtms.js";
import { ssdJsonRecords } from "../src/mapping/sources/ssd.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import type { ResourceWrite, Store } from "../src/store/port.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { generate } from "../src/synth/generate.js";
import { FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES } from "../src/synth/names.js";
import { Rng } from "../src/synth/prng.js";

const NEW = Number(process.env.BENCH_NEW ?? 300);
const SIZES = (process.env.BENCH_HOUSEHOLDS ?? "10000,100000").split(",").map(Number);
const NOW = "2026-12-02T00:00:00.000Z";
const migrations = loadMigrations();

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Person {
  given: string;
  family: string;
  sex: "male" | "female";
  birthDate: string;
  postcode: string;
}

const pad = (n: number) => String(n).padStart(2, "0");

function randomPerson(rng: Rng, family: string, postcode: string, minYear: number, maxYear: number): Person {
  const sex = rng.float() < 0.5 ? "female" : "male";
  return {
    given: rng.pick(sex === "female" ? FEMALE_NAMES : MALE_NAMES),
    family,
    sex,
    birthDate: `${rng.int(minYear, maxYear)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`,
    postcode,
  };
}

const patient = (id: string, p: Person) => ({
  resourceType: "Patient",
  id,
  identifier: [{ system: "https://think-family-gateway.example/fhir/Id/bench-local", value: id }],
  name: [{ family: p.family, given: [p.given] }],
  gender: p.sex,
  birthDate: p.birthDate,
  address: [{ postalCode: p.postcode }],
});

/** Loads `households` households (and each Patient's Person) into `store`; returns the people. */
async function populate(store: Store, households: number, rng: Rng): Promise<Person[]> {
  const people: Person[] = [];
  let writes: ResourceWrite[] = [];
  const flush = async () => {
    if (writes.length) await store.commit({ resources: writes });
    writes = [];
  };
  for (let h = 0; h < households; h++) {
    const postcode = `ZZ${pad(Math.floor(h / 15) % 100)} ${Math.floor(h / 1500)}${String.fromCharCode(65 + (h % 26))}${String.fromCharCode(65 + (Math.floor(h / 26) % 26))}`;
    const family = rng.pick(FAMILY_NAMES);
    const size = rng.int(2, 3);
    for (let i = 0; i < size; i++) {
      const p =
        i < 2 ? randomPerson(rng, family, postcode, 1950, 1995) : randomPerson(rng, family, postcode, 2008, 2024);
      const id = `p${people.length}`;
      people.push(p);
      writes.push(prepareWrite("Patient", id, 1, NOW, patient(id, p)));
      const person = personOf([`Patient/${id}`], []);
      writes.push(prepareWrite("Person", person.id, 1, NOW, person));
    }
    if (writes.length >= 4000) await flush();
  }
  await flush();
  return people;
}

/** Links BENCH_NEW new records one commit each; returns wall and CPU seconds per record. */
async function linkNew(store: Store, people: Person[], rng: Rng) {
  const records = Array.from({ length: NEW }, (_, i) => {
    const p =
      i % 2 === 0
        ? (people[rng.int(0, people.length - 1)] as Person)
        : randomPerson(rng, rng.pick(FAMILY_NAMES), `ZZ${pad(rng.int(0, 99))} 9ZZ`, 1950, 2020);
    return patient(`new${i}`, p);
  });
  const c0 = cpuSeconds();
  const t0 = performance.now();
  for (const r of records) {
    const w = prepareWrite("Patient", r.id, 1, NOW, r);
    const derived = await runDerivers(store, [personIndexDeriver], [w], NOW);
    await store.commit({ resources: [w, ...derived.writes] });
  }
  return { wall: (performance.now() - t0) / 1000 / NEW, cpu: (cpuSeconds() - c0) / NEW };
}

/** Ingests a synthetic population's CPA, NDTMS and SSD JSON files; returns records and seconds. */
async function ingestAll(files: { path: string; content: string }[], derive: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "tfg-bench-link-"));
  const store = await openSqliteStore(join(dir, "ingest.db"), migrations);
  const text = (s: string) =>
    (async function* () {
      yield s;
    })();
  let records = 0;
  const c0 = cpuSeconds();
  const t0 = performance.now();
  for (const f of files) {
    const source: SourceName | undefined = f.path.startsWith("cpa/cpa.json")
      ? "cpa"
      : f.path.startsWith("ndtms/")
        ? "ndtms"
        : f.path.startsWith("ssd/")
          ? "ssd"
          : undefined;
    if (!source) continue;
    const events =
      source === "cpa"
        ? cpaJsonRecords(text(f.content))
        : source === "ndtms"
          ? ndtmsRecords(text(f.content))
          : ssdJsonRecords(text(f.content));
    const report = await ingest(
      { store, clock: () => new Date(NOW), ownership: () => true, validate: false, derivers: derive ? DERIVERS : [] },
      mappingFor(source),
      events,
      {
        sender: {
          org: "BENCH",
          subject: "bench",
          issuer: "https://bench.invalid",
          tokenId: { kind: "cli-run", value: "bench" },
        },
        ownerField: SOURCES[source]?.ownerField ?? "",
      },
    );
    records += report.counts.records;
  }
  const out = { records, wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

async function main() {
  const rows: string[] = [];
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`;
  rows.push(
    `\n### issue 9 linkage (${new Date().toISOString().slice(0, 10)})\n`,
    `Machine: ${machine}. \`npm run bench:linkage\` (BENCH_NEW=${NEW}).\n`,
  );
  rows.push(
    "| population | Patients | ms per new record (wall) | ms per new record (CPU) | records/s (wall) |",
    "|---|---:|---:|---:|---:|",
  );
  const per: number[] = [];
  for (const households of SIZES) {
    // In memory: the claim is about the linker's reads, not the disk's fsync per commit.
    const store = await openSqliteStore(":memory:", migrations);
    const rng = new Rng(`bench-linkage/${households}`);
    const people = await populate(store, households, rng);
    const r = await linkNew(store, people, rng.fork("new"));
    per.push(r.cpu);
    rows.push(
      `| ${households.toLocaleString("en-GB")} households | ${people.length.toLocaleString("en-GB")} | ${(r.wall * 1000).toFixed(2)} | ${(r.cpu * 1000).toFixed(2)} | ${(1 / r.wall).toFixed(0)} |`,
    );
    await store.close();
  }
  if (per.length >= 2)
    rows.push(
      `\nCost per new record, largest ÷ smallest population (CPU): **${((per.at(-1) as number) / (per[0] as number)).toFixed(2)}×**.\n`,
    );

  const { files } = generate({ households: Number(process.env.BENCH_INGEST_HOUSEHOLDS ?? 500), seed: "bench-linkage" });
  rows.push("| ingest (CPA, NDTMS, SSD JSON) | records | records/s (wall) | records/s (CPU) |", "|---|---:|---:|---:|");
  const ratios: number[] = [];
  for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 3); round++) {
    const off = await ingestAll(files, false);
    const on = await ingestAll(files, true);
    for (const [name, r] of [
      ["derivation off", off],
      ["derivation on", on],
    ] as const)
      rows.push(
        `| round ${round + 1}, ${name} | ${r.records} | ${(r.records / r.wall).toFixed(0)} | ${(r.records / r.cpu).toFixed(0)} |`,
      );
    ratios.push(off.cpu / on.cpu);
  }
  rows.push(
    `\nIngest records/s with derivation on ÷ off (CPU), per round: ${ratios.map((r) => r.toFixed(2)).join(", ")}.\n`,
  );
  console.log(rows.join("\n"));
}

await main();
