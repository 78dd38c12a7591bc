// Adult or child at an instant (src/policy/subject-age.ts): the 18th birthday decides; a partial birth date counts
// only when every day it could be gives the same answer; no birth date is unknown unless the child is unborn.
import { describe, expect, it } from "vitest";
import { subjectKindOf } from "../../src/policy/subject-age.js";

const AT = "2026-06-15T10:00:00Z";
const p = (birthDate?: string, extension?: unknown[]) => ({
  resourceType: "Patient",
  ...(birthDate ? { birthDate } : {}),
  ...(extension ? { extension } : {}),
});

describe("subject kind", () => {
  it.each([
    ["2008-06-16", "child"], // 18 tomorrow
    ["2008-06-15", "adult"], // 18 today
    ["2008-06-14", "adult"],
    ["2010", "child"],
    ["2000", "adult"],
    ["2008", "unknown"], // 18th birthday somewhere in 2026
    ["2008-05", "adult"],
    ["2008-06", "unknown"],
    ["2008-07", "child"],
    ["2008-02-29", "adult"],
    ["not a date", "unknown"],
  ])("born %s → %s", (birth, kind) => {
    expect(subjectKindOf(p(birth), AT)).toBe(kind);
  });

  it("no birth date: unknown, or a child when an expected birth date says unborn", () => {
    expect(subjectKindOf(p(), AT)).toBe("unknown");
    expect(subjectKindOf(undefined, AT)).toBe("unknown");
    expect(
      subjectKindOf(
        p(undefined, [
          {
            url: "https://think-family-gateway.example/fhir/StructureDefinition/expected-birth-date",
            valueDate: "2026-09-01",
          },
        ]),
        AT,
      ),
    ).toBe("child");
  });
});
