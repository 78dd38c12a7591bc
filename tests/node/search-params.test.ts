// The search-parameter table is generated from HL7's R4 SearchParameter definitions and kept up to date.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildSearchParams, renderSearchParams } from "../../scripts/build-search-params.js";
import { SEARCH_PARAMS } from "../../src/fhir/resource-types.js";

describe("search parameter table", () => {
  it("matches what scripts/build-search-params.ts generates from hl7.fhir.r4.examples", () => {
    expect(readFileSync("src/fhir/search-params.generated.ts", "utf8")).toBe(renderSearchParams(buildSearchParams()));
  });

  it("has the parameters lookups and clients need, with R4 names, types and paths", () => {
    const of = (type: string, name: string) => SEARCH_PARAMS[type]?.find((p) => p.name === name);
    expect(of("Patient", "family")).toMatchObject({ type: "string", paths: ["name.family"] });
    expect(of("Patient", "name")).toMatchObject({ type: "string", paths: ["name"] });
    expect(of("Patient", "birthdate")).toMatchObject({ type: "date", paths: ["birthDate"] });
    expect(of("Patient", "address-postalcode")).toMatchObject({ type: "string", paths: ["address.postalCode"] });
    expect(of("Patient", "gender")?.type).toBe("token");
    expect(of("Patient", "identifier")?.type).toBe("token");
    expect(of("Observation", "date")?.paths).toEqual([
      "effectiveDateTime",
      "effectivePeriod",
      "effectiveTiming",
      "effectiveInstant",
    ]);
    expect(of("Observation", "patient")).toMatchObject({ type: "reference", paths: ["subject"], targets: ["Patient"] });
    for (const type of [
      "Observation",
      "EpisodeOfCare",
      "CarePlan",
      "Encounter",
      "Consent",
      "CareTeam",
      "ServiceRequest",
    ])
      expect(of(type, "status")?.type, type).toBe("token");
    for (const type of ["Observation", "CarePlan", "CareTeam", "Consent", "ServiceRequest"])
      expect(of(type, "category")?.type, type).toBe("token");
  });
});
