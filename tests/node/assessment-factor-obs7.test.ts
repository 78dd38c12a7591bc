// A CIN assessment factor keeps R4 obs-7: its component's code is not the Observation's own code, so any client's copy is valid.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateResource } from "../../src/fhir/validation/index.js";

type Golden = { resources: { resource: Record<string, unknown> }[] }[];
type Coding = { system?: string; code?: string; display?: string };
type Factor = { code: { coding: Coding[] }; component: { code: { coding: Coding[] } }[] };

const factors = (JSON.parse(readFileSync("tests/golden/cin/expected-2026.json", "utf8")) as Golden)
  .flatMap((r) => r.resources.map((x) => x.resource))
  .filter((r) => String((r.meta as { profile?: string[] })?.profile?.[0]).endsWith("/TFG-AssessmentFactor"));

describe("TFG-AssessmentFactor and R4 obs-7", () => {
  it("the mapping's factors have a component code distinct from the Observation code", () => {
    expect(factors.length).toBeGreaterThan(0);
    for (const f of factors as unknown as Factor[]) {
      const own = f.code.coding.map((c) => `${c.system}|${c.code}`);
      for (const c of f.component.flatMap((x) => x.code.coding)) expect(own).not.toContain(`${c.system}|${c.code}`);
    }
  });

  it("stays valid when a client sends the codings without a display", () => {
    for (const f of factors) {
      const copy = structuredClone(f) as unknown as Factor;
      for (const c of [...copy.code.coding, ...copy.component.flatMap((x) => x.code.coding)]) delete c.display;
      expect(
        validateResource(copy as unknown as Record<string, unknown>).filter((i) => i.severity === "error"),
      ).toEqual([]);
    }
  });
});
