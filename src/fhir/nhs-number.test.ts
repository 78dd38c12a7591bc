// NHS number check digit: known values and properties.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidNhsNumber, nhsCheckDigit } from "./nhs-number.js";

describe("NHS number", () => {
  it("accepts known-good numbers and rejects a wrong check digit", () => {
    expect(isValidNhsNumber("9434765919")).toBe(true);
    expect(isValidNhsNumber("943 476 5919")).toBe(true);
    expect(isValidNhsNumber("9434765918")).toBe(false);
    expect(isValidNhsNumber("943476591")).toBe(false);
    expect(isValidNhsNumber("94347659190")).toBe(false);
  });

  it("has exactly one valid check digit for each nine-digit stem, or none", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{9}$/), (stem) => {
        const valid = [..."0123456789"].filter((d) => isValidNhsNumber(stem + d));
        const check = nhsCheckDigit(stem);
        expect(valid).toEqual(check === undefined ? [] : [String(check)]);
      }),
    );
  });
});
