/**
 * The population of the `$household-check` benches (bench/lookup.ts over sockets, bench/profile-lookup.ts in process):
 * synthetic households ingested with the whole derivation chain, and the case a children's social worker checks.
 */
import { ownersOf } from "../src/auth/ownership.js";
import { ingest } from "../src/ingest/ingest-service.js";
import { SOURCES } from "../src/ingest/sources.js";
import { mappingFor, type SourceName } from "../src/mapping/registry.js";
import { cinRecords } from "../src/mapping/sources/cin.js";
import { cpaJsonRecords } from "../src/mapping/sources/cpa.js";
import { ndtmsRecords } from "../src/mapping/sources/ndtms.js";
import { ssdJsonRecords } from "../src/mapping/sources/ssd.js";
import type { Store } from "../src/store/port.js";
import { generate } from "../src/synth/generate.js";

const NHS = "https://fhir.nhs.uk/Id/nhs-number";
const EPISODE_TYPE = "https://think-family-gateway.example/fhir/CodeSystem/episode-type";

type Rec = Record<string, unknown> & { id: string };
const text = (s: string) =>
  (async function* () {
    yield s;
  })();
const sender = (source: SourceName, org: string) => ({
  sender: { org, subject: "bench-feed", issuer: "urn:bench", tokenId: { kind: "jti" as const, value: "bench" } },
  ownerField: SOURCES[source]?.ownerField ?? "",
});

/** Ingests `households` synthetic households (npm run synth's generator) with the whole derivation chain. */
export async function seed(store: Store, households: number): Promise<void> {
  const deps = { store, clock: () => new Date() };
  const counts: Record<string, number> = {};
  const note = (source: string, report: { counts: object }) => {
    for (const [k, v] of Object.entries(report.counts) as [string, number][])
      counts[`${source} ${k}`] = (counts[`${source} ${k}`] ?? 0) + v;
  };
  for (const f of generate({ households, seed: "lookup-bench" }).files) {
    if (f.path === "cpa/cpa.json") {
      const doc = JSON.parse(f.content) as { Patients: Rec[] };
      for (const org of new Set(doc.Patients.map((p) => p.OrgIDProv as string))) {
        const one = { MHS000Header: { OrgIDProvider: org }, Patients: doc.Patients.filter((p) => p.OrgIDProv === org) };
        note(
          "cpa",
          await ingest(deps, mappingFor("cpa"), cpaJsonRecords(text(JSON.stringify(one))), sender("cpa", org)),
        );
      }
    } else if (f.path.startsWith("ndtms/")) {
      const agency = f.path.slice(6, 11);
      note("ndtms", await ingest(deps, mappingFor("ndtms"), ndtmsRecords(text(f.content)), sender("ndtms", agency)));
    } else if (f.path.startsWith("cin/")) {
      note(
        "cin",
        await ingest(deps, mappingFor("cin"), cinRecords(text(f.content)), sender("cin", f.path.slice(4, 7))),
      );
    } else if (f.path.startsWith("ssd/")) {
      note(
        "ssd",
        await ingest(deps, mappingFor("ssd"), ssdJsonRecords(text(f.content)), sender("ssd", f.path.slice(4, 7))),
      );
    }
  }
  console.error(`ingest: ${JSON.stringify(counts)}`);
}

const all = async (store: Store, type: string) =>
  (await store.search({ resourceType: type, criteria: [], count: 1_000_000, sort: "id" })).versions.map(
    (v) => v.resource as Rec,
  );
const typesOf = (r: Rec) =>
  ((r.type as { coding?: { system?: string; code?: string }[] }[] | undefined) ?? []).flatMap((c) =>
    (c.coding ?? []).filter((x) => x.system === EPISODE_TYPE).map((x) => x.code as string),
  );
const isOpen = (r: Rec) =>
  !["finished", "cancelled", "entered-in-error"].includes(r.status as string) &&
  !(r.period as { end?: string } | undefined)?.end;
const ref = (v: unknown) => (v as { reference?: string } | undefined)?.reference as string;

/** A child with an NHS number, open to an LA, living with an adult with an open CPA episode: its NHS number and LA. */
export async function pickCase(store: Store): Promise<{ nhs: string; la: string }> {
  const patients = new Map((await all(store, "Patient")).map((p) => [`Patient/${p.id}`, p]));
  const open = new Map<string, Rec[]>();
  for (const ep of (await all(store, "EpisodeOfCare")).filter(isOpen))
    open.set(ref(ep.patient), [...(open.get(ref(ep.patient)) ?? []), ep]);
  for (const g of await all(store, "Group")) {
    const members = ((g.member as Rec[] | undefined) ?? [])
      .filter((m) => m.inactive !== true)
      .map((m) => ref(m.entity));
    for (const c of members) {
      const nhs = ((patients.get(c)?.identifier as Rec[] | undefined) ?? []).find((i) => i.system === NHS)?.value;
      const cin = (open.get(c) ?? []).find((e) =>
        typesOf(e).some((t) => ["child-in-need", "child-protection"].includes(t)),
      );
      if (typeof nhs !== "string" || !cin) continue;
      if (members.some((a) => a !== c && (open.get(a) ?? []).some((e) => typesOf(e).includes("cpa"))))
        return { nhs, la: ownersOf(cin)[0] as string };
    }
  }
  throw new Error("no child open to an LA living with a CPA patient in the population: raise BENCH_LOOKUP_HOUSEHOLDS");
}
