// The record comparison as a decision table: identifiers first, then Fellegi–Sunter weights; an NHS number a keying
// slip away is nearly neutral (the other fields decide), one far away weighs heavily against.
import { describe, expect, it } from "vitest";
import { compare } from "../../src/linkage/compare.js";
import type { Features } from "../../src/linkage/features.js";

const base: Features = {
  key: "a",
  nhs: ["9990000018"],
  ids: [],
  given: ["amelia"],
  family: ["okafor"],
  initialsOnly: false,
  birthDate: "1990-05-14",
  sex: "female",
  postcodes: ["LS16AB"],
  uprns: [],
};
const other = (patch: Partial<Features>): Features => ({ ...base, key: "b", ...patch });

describe("compare", () => {
  it.each([
    ["the same NHS number", other({ given: ["zoe"] }), "nhs-number", "link"],
    [
      "a number one body digit and its check digit apart, all else the same",
      other({ nhs: ["9990000026"] }),
      "probabilistic",
      "link",
    ],
    [
      "a number far apart, all else the same (a person to look at, not a link)",
      other({ nhs: ["9991234566"] }),
      "probabilistic",
      "review",
    ],
    [
      "a number far apart and another given name",
      other({ nhs: ["9991234566"], given: ["grace"] }),
      "probabilistic",
      "none",
    ],
    [
      "a near number, another given name (twins numbered in sequence)",
      other({ nhs: ["9990000026"], given: ["grace"] }),
      "probabilistic",
      "review",
    ],
    ["no NHS number on one side, all else the same", other({ nhs: [] }), "probabilistic", "link"],
  ] as const)("%s", (_what, b, method, decision) => {
    const c = compare(base, b);
    expect(c.method).toBe(method);
    expect(c.decision).toBe(decision);
    expect(compare(b, base).decision).toBe(decision);
  });
});
