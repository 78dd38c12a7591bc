// Every resource the mappings produce from a synthetic population (the issue's 1,000 households, seed 1, and
// smaller ones for the other CIN years; all three sources, CPA as JSON, NDJSON and CSV tables) claims a
// project profile and passes both the FHIR R4 base definitions (HL7's own) and that profile.
import { describe, expect, it } from "vitest";
import { PROFILE_CATALOG, validateResource } from "../../src/fhir/validation/index.js";
import type { SourceName } from "../../src/mapping/registry.js";
import { cinRecords } from "../../src/mapping/sources/cin.js";
import { cpaCsvRecords, cpaJsonRecords, cpaNdjsonRecords } from "../../src/mapping/sources/cpa.js";
import type { SourceEvent } from "../../src/mapping/sources/events.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import type { CinYear } from "../../src/synth/config.js";
import { generate, type SynthResult } from "../../src/synth/generate.js";
import { mapAll, textSource } from "../support/map-events.js";

type Rec = Record<string, unknown>;
const PROFILE_URLS = new Set(PROFILE_CATALOG.map((p) => p.url));

/** Every input the population offers: each file, and the CPA CSV tables read together as one input. */
function inputsOf(r: SynthResult): { name: string; source: SourceName; events: AsyncIterable<SourceEvent> }[] {
  const inputs: { name: string; source: SourceName; events: AsyncIterable<SourceEvent> }[] = [];
  const tables: Record<string, ReturnType<typeof textSource>> = {};
  for (const f of r.files) {
    const body = textSource(f.content);
    if (f.path === "cpa/cpa.json") inputs.push({ name: f.path, source: "cpa", events: cpaJsonRecords(body) });
    else if (f.path === "cpa/cpa.ndjson") inputs.push({ name: f.path, source: "cpa", events: cpaNdjsonRecords(body) });
    else if (f.path.startsWith("cpa-csv/")) tables[f.path.slice("cpa-csv/".length)] = body;
    else if (f.path.startsWith("ndtms/")) inputs.push({ name: f.path, source: "ndtms", events: ndtmsRecords(body) });
    else if (f.path.startsWith("cin/")) inputs.push({ name: f.path, source: "cin", events: cinRecords(body) });
  }
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
