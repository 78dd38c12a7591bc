// The flags deriver over a synthetic population (npm run synth's generator): all four sources through the real
// ingest into SQLite, Persons by shared NHS number and households by shared UPRN built by hand (stand-ins for the
// person index and households derivers), then the deriver over everything: every Flag and Provenance passes R4
// and its profile, some of every kind the data supports are raised, and deriving again writes nothing.
import { describe, expect, it } from "vitest";
import { validateResource } from "../../src/fhir/validation/index.js";
import { flagsDeriver } from "../../src/flags/deriver.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { ssdJsonRecords } from "../../src/mapping/sources/ssd.js";
import { generate } from "../../src/synth/generate.js";
import { textSource } from "../support/map-events.js";
import { sentBy } from "../support/sender.js";
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
} from "./flags-fixtures.js";

type Json = Record<string, unknown>;
const NHS = "https://fhir.nhs.uk/Id/nhs-number";
const UPRN_EXT = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey";

describe("flags over a synthetic population", () => {
  it("derives valid Flags of every kind, and nothing more on a second run", async () => {
    const population = generate({ households: 120, seed: "flags" });
    const store = await openStore();
    const before = await snapshot(store);
    for (const f of population.files) {
      if (f.path === "cpa/cpa.json") {
        // One file, several trusts: each trust sends its own patients.
        const doc = JSON.parse(f.content) as { Patients: Json[] };
        const orgs = new Set(doc.Patients.map((p) => p.OrgIDProv as string));
        for (const org of orgs) {
          const report = await ingestCpa(
            store,
            doc.Patients.filter((p) => p.OrgIDProv === org),
            org,
          );
          expect(report.counts.rejected).toBe(0);
        }
      } else if (f.path.startsWith("ndtms/"))
        expect((await ingestNdtms(store, f.content, f.path.slice(6, 11))).counts.rejected).toBe(0);
      else if (f.path.startsWith("cin/"))
        expect((await ingestCin(store, f.content, f.path.slice(4, 7))).counts.rejected).toBe(0);
      else if (f.path.startsWith("ssd/")) {
        const la = f.path.slice(4, 7);
        await ingest(
          { store, clock: () => new Date() },
          mappingFor("ssd"),
          ssdJsonRecords(textSource(f.content)),
          sentBy("ssd", la),
        );
      }
    }
    // Stand-ins for the person index and households: shared NHS number → one Person; shared UPRN → one household.
    const patients = (
      await store.search({ resourceType: "Patient", criteria: [], count: 100_000, sort: "id" })
    ).versions.map((v) => v.resource as Json & { id: string });
    const byNhs = new Map<string, string[]>();
    const byUprn = new Map<string, string[]>();
    for (const p of patients) {
      for (const i of (p.identifier as Json[] | undefined) ?? [])
        if (i.system === NHS && typeof i.value === "string") byNhs.set(i.value, [...(byNhs.get(i.value) ?? []), p.id]);
      for (const a of (p.address as Json[] | undefined) ?? []) {
        if (a.use === "old") continue;
        const key = ((a.extension as Json[] | undefined) ?? []).find((e) => e.url === UPRN_EXT);
        const uprn = ((key?.extension as Json[] | undefined) ?? []).find((e) => e.url === "value")?.valueString;
        if (typeof uprn === "string") byUprn.set(uprn, [...new Set([...(byUprn.get(uprn) ?? []), p.id])]);
      }
    }
    for (const [nhs, ids] of byNhs) if (ids.length > 1) await put(store, person(`p-${nhs}`, ids));
    for (const [uprn, ids] of byUprn)
      if (ids.length > 1)
        await put(
          store,
          household(
            `h-${uprn}`,
            ids.map((patient) => ({ patient })),
          ),
        );
    const touched = changed(before, await snapshot(store));

    const first = await deriveAndCommit(store, flagsDeriver, touched);
    const flags = first.output.resources.filter((r) => r.resourceType === "Flag");
    const problems: string[] = [];
    for (const r of first.output.resources) {
      const body = r.resourceType === "Provenance" ? { ...r, recorded: "2031-01-01T00:00:00Z" } : r;
      for (const i of validateResource(body).filter((x) => x.severity === "error"))
        problems.push(`${r.resourceType}: ${i.diagnostics ?? i.code}`);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    const kinds = new Map<string, number>();
    for (const f of flags) {
      const code = ((f.code as Json).coding as Json[])[0]?.code as string;
      kinds.set(`${code} ${f.status}`, (kinds.get(`${code} ${f.status}`) ?? 0) + 1);
    }
    console.log(
      `flags over ${patients.length} Patients, ${touched.length} touched keys:`,
      Object.fromEntries([...kinds].sort()),
    );
    for (const code of [
      "household-has-children",
      "children-status-not-recorded",
      "child-in-need",
      "child-protection-plan",
      "parent-in-adult-services",
    ])
      expect(kinds.get(`${code} active`) ?? 0, code).toBeGreaterThan(0);
    expect((await deriveAndCommit(store, flagsDeriver, touched)).written).toEqual([]);
    await store.close();
  }, 120_000);
});
