// isCalendarDate (src/mapping/field-check.ts) decides by arithmetic what Date.UTC decided before: the same
// answer for every YYYY-MM-DD string, including month 00/13, day 00/32, 29 February and years before 0100.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCalendarDate } from "../../src/mapping/field-check.js";

/** The check as it was written with Date.UTC, kept as the reference. */
function byDateUtc(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

const pad = (n: number, w: number) => String(n).padStart(w, "0");

describe("isCalendarDate", () => {
  it("agrees with Date.UTC on every shape of YYYY-MM-DD", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 99, 100, 1600, 1900, 2000, 2024, 2100)),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (y, m, d) => {
          const s = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
          expect(isCalendarDate(s)).toBe(byDateUtc(s));
        },
      ),
      { numRuns: 20_000 },
    );
    for (const s of ["2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "0099-01-01", "2024-1-01", "x"])
      expect(isCalendarDate(s)).toBe(byDateUtc(s));
  });
});
