// R4 strings may not hold C0 control characters other than tab, CR and LF: refused with the element's path.
import { describe, expect, it } from "vitest";
import { validateResource } from "../../src/fhir/validation/index.js";

const patient = (family: string) => ({ resourceType: "Patient", name: [{ family }] });
const errors = (r: Record<string, unknown>) => validateResource(r).filter((i) => i.severity === "error");

describe("control characters in strings", () => {
  it.each(["\u0000", "\u0001", "\u0008", "\u000b", "\u000c", "\u001b", "\u001f"])("refuses U+%s", (c) => {
    const issues = errors(patient(`Ab${c}cd`));
    // Vertical tab and form feed also break the R4 string pattern, so they may be reported twice.
    expect(issues.length).toBeGreaterThan(0);
    for (const i of issues) {
      expect([i.code, i.expression]).toEqual(["value", ["Patient.name[0].family"]]);
      expect(i.diagnostics).not.toContain("Ab");
    }
  });

  it("accepts tab, carriage return and line feed, and characters from U+0020 on", () => {
    expect(errors(patient("Ab\tc\r\nd é 👪"))).toEqual([]);
  });
});
