// Every resource the mappings produce from a synthetic population (the issue's 1,000 households, seed 1, and
// smaller ones for the other CIN years; all four sources, CPA as JSON, NDJSON and CSV tables, SSD as JSON and CSV) claims a
// project profile and passes both the FHIR R4 base definitions (HL7's own) and that profile. And the mappings
// read every field the sources send: coverage (fields present in a record and read by no rule) is empty.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PROFILE_CATALOG, validateResource } from "../../src/fhir/validation/index.js";
import type { SourceName } from "../../src/mapping/registry.js";
import { cinRecords } from "../../src/mapping/sources/cin.js";
import { cpaCsvRecords, cpaJsonRecords, cpaNdjsonRecords } from "../../src/mapping/sources/cpa.js";
import type { SourceEvent } from "../../src/mapping/sources/events.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { ssdCsvRecords, ssdJsonRecords } from "../../src/mapping/sources/ssd.js";
import type { CinYear } from "../../src/synth/config.js";
import { generate, type SynthResult } from "../../src/synth/generate.js";
import { mapAll, textSource } from "../support/map-events.js";

type Rec = Record<string, unknown>;
const PROFILE_URLS = new Set(PROFILE_CATALOG.map((p) => p.url));

/** Every input the population offers: each file, and the CPA CSV tables read together as one input. */
function inputsOf(r: SynthResult): { name: string; source: SourceName; events: AsyncIterable<SourceEvent> }[] {
  const inputs: { name: string; source: SourceName; events: AsyncIterable<SourceEvent> }[] = [];
  const tables: Record<string, ReturnType<typeof textSource>> = {};
  const ssdTables = new Map<string, Record<string, ReturnType<typeof textSource>>>();
  for (const f of r.files) {
    const body = textSource(f.content);
    if (f.path === "cpa/cpa.json") inputs.push({ name: f.path, source: "cpa", events: cpaJsonRecords(body) });
    else if (f.path === "cpa/cpa.ndjson") inputs.push({ name: f.path, source: "cpa", events: cpaNdjsonRecords(body) });
    else if (f.path.startsWith("cpa-csv/")) tables[f.path.slice("cpa-csv/".length)] = body;
    else if (f.path.startsWith("ndtms/")) inputs.push({ name: f.path, source: "ndtms", events: ndtmsRecords(body) });
    else if (f.path.startsWith("cin/")) inputs.push({ name: f.path, source: "cin", events: cinRecords(body) });
    else if (f.path.startsWith("ssd/")) inputs.push({ name: f.path, source: "ssd", events: ssdJsonRecords(body) });
    else if (f.path.startsWith("ssd-csv/")) {
      const [, la = "", name = ""] = f.path.split("/");
      ssdTables.set(la, { ...(ssdTables.get(la) ?? {}), [name]: body });
    }
  }
  for (const [la, t] of ssdTables) inputs.push({ name: `ssd-csv/${la}/`, source: "ssd", events: ssdCsvRecords(t) });
  inputs.push({ name: "cpa-csv/", source: "cpa", events: cpaCsvRecords(tables) });
  return inputs;
}

describe("synthetic population → FHIR", () => {
  it.each([
    [1000, "1", 2026],
    [300, "validate-2025", 2025],
    [300, "validate-2024", 2024],
  ] as const)(
    "every resource mapped from %i households (seed %s, CIN %s) passes base R4 and its profile",
    async (households: number, seed: string, cinYear: CinYear) => {
      const r = generate({ households, seed, cinYear });
      const problems: string[] = [];
      const byType = new Map<string, number>();
      let unprofiled = 0;
      for (const f of inputsOf(r)) {
        const { mapped, other } = await mapAll(f.source, f.events);
        expect(other, f.name).toEqual([]);
        for (const m of mapped) {
          expect(
            m.issues.filter((i) => i.severity === "error"),
            `${f.name} ${m.label}`,
          ).toEqual([]);
          for (const { resource } of m.resources) {
            const type = String(resource.resourceType);
            byType.set(type, (byType.get(type) ?? 0) + 1);
            const claimed = ((resource.meta as Rec | undefined)?.profile as string[] | undefined) ?? [];
            if (!claimed.some((u) => PROFILE_URLS.has(u))) unprofiled++;
            for (const i of validateResource(resource))
              problems.push(`${f.name} ${m.label} ${type}: ${i.expression?.join(",")} ${i.diagnostics}`);
          }
        }
      }
      expect(problems.slice(0, 20)).toEqual([]);
      expect(unprofiled).toBe(0);
      const produced = [
        "Patient",
        "RelatedPerson",
        "Observation",
        "EpisodeOfCare",
        "CarePlan",
        "ServiceRequest",
        "Encounter",
        "CareTeam",
        "Practitioner",
        "Provenance",
      ];
      for (const t of produced) expect(byType.get(t) ?? 0, t).toBeGreaterThan(0);
    },
  );
});

/** Source fields the mappings once left unread (docs/MAPPINGS.md, coverage): each must now be kept. */
const ONCE_UNMAPPED: Record<SourceName, string[]> = {
  ndtms: [
    "PREVTR",
    "ACCMNEED",
    "DAT",
    "PCT",
    "LA",
    "UTLA",
    "GPPTCE",
    "DRUG1AGE",
    "ROUTE",
    "RFLS",
    "INJSTAT",
    "ALCDDAYS",
    "ALCUNITS",
    "DUALDIAG",
  ],
  cin: ["ChildIdentifiers.UPNunknown", "CINdetails.Section47.InitialCPCtarget", "Year", "ReferenceDate"],
  cpa: ["MHS001MPI.OrgIDLocalPatientId", "MHS001MPI.NHSNumberStatus"],
  ssd: [],
};

/** Coverage as the ingest report counts it: unmapped field → records (MappedRecord.unmapped), per source. */
async function coverageOf(inputs: { source: SourceName; events: AsyncIterable<SourceEvent> }[]) {
  const unmapped: Record<string, number> = {};
  const present = new Set<string>();
  for (const f of inputs) {
    const { mapped } = await mapAll(f.source, f.events);
    for (const m of mapped) {
      for (const p of m.unmapped) unmapped[`${f.source} ${p}`] = (unmapped[`${f.source} ${p}`] ?? 0) + 1;
      if (m.resources.length > 0) present.add(f.source);
    }
  }
  return { unmapped, present };
}

describe("coverage: the mappings keep every field the sources send", () => {
  const onceUnmapped = Object.entries(ONCE_UNMAPPED).flatMap(([source, paths]) => paths.map((p) => `${source} ${p}`));

  it("lists none of the once-unmapped fields, and nothing at all, for a synthetic population (300 households, seed x)", async () => {
    const { unmapped, present } = await coverageOf(inputsOf(generate({ households: 300, seed: "x" })));
    expect([...present].sort()).toEqual(["cin", "cpa", "ndtms", "ssd"]);
    expect(Object.keys(unmapped).filter((k) => onceUnmapped.includes(k))).toEqual([]);
    // SSD: only what docs/sources/ssd.md says is not mapped (the family id, and row ids that identify nothing).
    const ssd = Object.keys(unmapped).filter((k) => k.startsWith("ssd "));
    expect(ssd.sort()).toEqual([
      "ssd ssd_disability.disa_table_id",
      "ssd ssd_family.fami_family_id",
      "ssd ssd_family.fami_table_id",
      "ssd ssd_involvements.invo_involvements_id",
    ]);
    for (const k of ssd) delete unmapped[k];
    expect(unmapped).toEqual({});
  });

  it("lists none of them for the golden inputs (only the golden NDTMS file's deliberate LOCALNOTE column)", async () => {
    const file = (path: string) => textSource(readFileSync(path, "utf8"));
    const { unmapped } = await coverageOf([
      { source: "ndtms", events: ndtmsRecords(file("tests/golden/ndtms/input.csv")) },
      { source: "cpa", events: cpaJsonRecords(file("tests/golden/cpa/input.json")) },
      { source: "cin", events: cinRecords(file("tests/golden/cin/input-2024.xml")) },
      { source: "cin", events: cinRecords(file("tests/golden/cin/input-2026.xml")) },
    ]);
    expect(Object.keys(unmapped).filter((k) => onceUnmapped.includes(k))).toEqual([]);
    expect(unmapped).toEqual({ "ndtms LOCALNOTE": 1 });
  });

  it("still reports a field no rule reads", async () => {
    const csv =
      "FINITIAL,SINITIAL,DOB,SEX,REFLD,AGNCY,CLIENTID,EPISODID,CONSENT,NEWCOLUMN\nA,B,1980-01-01,1,2026-01-01,N0001,C1,E1,Y,x\n";
    const { unmapped } = await coverageOf([{ source: "ndtms", events: ndtmsRecords(textSource(csv)) }]);
    expect(unmapped).toEqual({ "ndtms NEWCOLUMN": 1 });
  });
});
