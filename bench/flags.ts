/**
 * `npx tsx bench/flags.ts`: the flags deriver's cost per touched record at two population sizes (synthetic
 * populations, all four sources ingested into SQLite, Persons by shared NHS number and households by shared UPRN
 * as stand-ins for the person index and households). Reports, for the same 20 touched episodes' worth of keys,
 * view calls (reads + finds, deterministic) and wall time per touched key, and the large/small ratio: an
 * incremental deriver's cost should not grow with the population.
 */
import { cpus } from "node:os";
import type { DeriveView } from "../src/derive/port.js";
import { storeView } from "../src/derive/store-view.js";
import { flagsDeriver } from "../src/flags/deriver.js";
import { ingest } from "../src/ingest/ingest-service.js";
import { mappingFor } from "../src/mapping/registry.js";
import { ssdJsonRecords } from "../src/mapping/sources/ssd.js";
import type { Store } from "../src/store/port.js";
import { generate } from "../src/synth/generate.js";
import {
  changed,
  deriveAndCommit,
  household,
  ingestCin,
  ingestCpa,
  ingestNdtms,
  openStore,
  person,
  put,
  snapshot,
} from "../tests/node/flags-fixtures.js";
import { textSource } from "../tests/support/map-events.js";
import { sentBy } from "../tests/support/sender.js";

type Json = Record<string, unknown>;
const NHS = "https://fhir.nhs.uk/Id/nhs-number";
const UPRN_EXT = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey";
const SIZES = (process.env.FLAGS_BENCH_SIZES ?? "100,400").split(",").map(Number);
const SAMPLE = 20;
const REPEAT = 5;

async function load(households: number): Promise<{ store: Store; patients: number; touched: string[] }> {
  const population = generate({ households, seed: "flags-bench" });
  const store = await openStore();
  const before = await snapshot(store);
  for (const f of population.files) {
    if (f.path === "cpa/cpa.json") {
      const doc = JSON.parse(f.content) as { Patients: Json[] };
      for (const org of new Set(doc.Patients.map((p) => p.OrgIDProv as string)))
        await ingestCpa(
          store,
          doc.Patients.filter((p) => p.OrgIDProv === org),
          org,
        );
    } else if (f.path.startsWith("ndtms/")) await ingestNdtms(store, f.content, f.path.slice(6, 11));
    else if (f.path.startsWith("cin/")) await ingestCin(store, f.content, f.path.slice(4, 7));
    else if (f.path.startsWith("ssd/"))
      await ingest(
        { store, clock: () => new Date() },
        mappingFor("ssd"),
        ssdJsonRecords(textSource(f.content)),
        sentBy("ssd", f.path.slice(4, 7)),
      );
  }
  const all = (
    await store.search({ resourceType: "Patient", criteria: [], count: 1_000_000, sort: "id" })
  ).versions.map((v) => v.resource as Json & { id: string });
  const byNhs = new Map<string, string[]>();
  const byUprn = new Map<string, Set<string>>();
  for (const p of all) {
    for (const i of (p.identifier as Json[] | undefined) ?? [])
      if (i.system === NHS && typeof i.value === "string") byNhs.set(i.value, [...(byNhs.get(i.value) ?? []), p.id]);
    for (const a of (p.address as Json[] | undefined) ?? []) {
      if (a.use === "old") continue;
      const key = ((a.extension as Json[] | undefined) ?? []).find((e) => e.url === UPRN_EXT);
      const uprn = ((key?.extension as Json[] | undefined) ?? []).find((e) => e.url === "value")?.valueString;
      if (typeof uprn === "string") byUprn.set(uprn, (byUprn.get(uprn) ?? new Set()).add(p.id));
    }
  }
  for (const [nhs, ids] of byNhs) if (ids.length > 1) await put(store, person(`p-${nhs}`, ids));
  for (const [uprn, ids] of byUprn)
    if (ids.size > 1)
      await put(
        store,
        household(
          `h-${uprn}`,
          [...ids].map((patient) => ({ patient })),
        ),
      );
  const touched = changed(before, await snapshot(store));
  await deriveAndCommit(store, flagsDeriver, touched);
  return { store, patients: all.length, touched };
}

function counting(view: DeriveView): { view: DeriveView; calls: () => number } {
  let n = 0;
  return {
    view: {
      read: (t, id) => {
        n++;
        return view.read(t, id);
      },
      find: (t, c) => {
        n++;
        return view.find(t, c);
      },
      findWithin: (t, c, limit) => {
        n++;
        return view.findWithin(t, c, limit);
      },
    },
    calls: () => n,
  };
}

const results: { households: number; patients: number; keys: number; calls: number; ms: number }[] = [];
for (const households of SIZES) {
  const { store, patients, touched } = await load(households);
  // The same kind of change at every size: the first SAMPLE episodes (by id) and their patients.
  const sample = touched.filter((k) => k.startsWith("EpisodeOfCare/")).slice(0, SAMPLE);
  const times: number[] = [];
  let calls = 0;
  for (let i = 0; i < REPEAT; i++) {
    const c = counting(storeView(store));
    const t0 = performance.now();
    await flagsDeriver.derive({ view: c.view, touched: sample });
    times.push(performance.now() - t0);
    calls = c.calls();
  }
  times.sort((a, b) => a - b);
  results.push({
    households,
    patients,
    keys: sample.length,
    calls: calls / sample.length,
    ms: (times[2] as number) / sample.length,
  });
  await store.close();
}
const [small, large] = results as [(typeof results)[0], (typeof results)[0]];
console.log(
  `flags deriver, ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? "?"} ×${cpus().length}, Node ${process.version}`,
);
console.log("| households | Patients | touched episodes | view calls / touched key | ms / touched key (median of 5) |");
console.log("|---|---|---|---|---|");
for (const r of results)
  console.log(`| ${r.households} | ${r.patients} | ${r.keys} | ${r.calls.toFixed(1)} | ${r.ms.toFixed(2)} |`);
console.log(
  `ratio large/small: view calls ${(large.calls / small.calls).toFixed(2)}, time ${(large.ms / small.ms).toFixed(2)}`,
);
