import { describe, expect, it } from "vitest";
import { isTestRangeNhsNumber, isValidNhsNumber } from "../fhir/nhs-number.js";
import { issueNhsNumber, issueUpn, mistypeNhsNumber, upnCheckLetter } from "./identifiers.js";
import { Rng } from "./prng.js";

describe("synthetic identifiers", () => {
  it("issues unique, valid NHS numbers in the test range; invalid mistypes fail the check digit, valid ones pass it", () => {
    const rng = new Rng("nhs");
    const used = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const nhs = issueNhsNumber(rng, used);
      expect(isValidNhsNumber(nhs) && isTestRangeNhsNumber(nhs)).toBe(true);
      const typed = mistypeNhsNumber(rng, nhs);
      expect(typed).not.toBe(nhs);
      expect(isTestRangeNhsNumber(typed)).toBe(true);
      expect(isValidNhsNumber(typed)).toBe(false);
      const wrong = mistypeNhsNumber(rng, nhs, true);
      expect(wrong).not.toBe(nhs);
      expect(isTestRangeNhsNumber(wrong) && isValidNhsNumber(wrong)).toBe(true);
    }
    expect(used.size).toBe(2000);
  });

  it("computes the DfE UPN check letter (CIN rule 1510 examples)", () => {
    expect(upnCheckLetter("950000178301")).toBe("A");
    expect(upnCheckLetter("243278544154")).toBe("H");
    expect(upnCheckLetter("247962919251")).not.toBe("R");
    const rng = new Rng("upn");
    const used = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const upn = issueUpn(rng, "991", 2021, used);
      expect(upn).toMatch(/^[A-HJ-NP-RT-X]991\d{4}21\d{3}$/);
      expect(upnCheckLetter(upn.slice(1))).toBe(upn[0]);
    }
  });
});
