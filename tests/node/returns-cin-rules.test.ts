// Golden tests per DfE CIN rule (tests/golden/returns/cin-rules.json): each hand-made child fails exactly the
// listed rules (cut to its census year first, as the builder does), and the UPN check letter agrees with the
// synthetic generator's UPNs; a child that fails is not written to the XML, and the risk report says why.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CensusChild } from "../../src/returns/builders/cin-model.js";
import { cinFailures, episodesInYear, upnValid } from "../../src/returns/builders/cin-rules.js";
import { issueUpn } from "../../src/synth/identifiers.js";
import { Rng } from "../../src/synth/prng.js";

interface Case {
  name: string;
  year: number;
  child: CensusChild;
  expected: string[];
}
const golden = JSON.parse(readFileSync(new URL("../golden/returns/cin-rules.json", import.meta.url), "utf8")) as {
  cases: Case[];
};

describe("DfE CIN rules (golden)", () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const child = { ...c.child, episodes: episodesInYear(c.child.episodes, c.year) };
    expect(cinFailures(child, c.year)).toEqual(c.expected);
  });
  it("covers every rule", () => {
    const covered = new Set(golden.cases.flatMap((c) => c.expected));
    for (const rule of [
      "dates-in-order",
      "factor-21-alone",
      "sex-by-year",
      "upn-check-letter",
      "birth-xor-expected",
      "activity-in-year",
      "required-items",
    ])
      expect(covered.has(rule), rule).toBe(true);
  });
  it("every UPN the synthetic generator issues passes the check letter; a changed letter fails", () => {
    const rng = new Rng("upn");
    const used = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const upn = issueUpn(rng, "991", 2015, used);
      expect(upnValid(upn)).toBe(true);
      const other = upn[0] === "A" ? "B" : "A";
      expect(upnValid(`${other}${upn.slice(1)}`)).toBe(false);
    }
  });
});
