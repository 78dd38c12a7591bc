// Property tests over random populations: random CPA episodes (providers, LAs, parental states, children's ages,
// flags) tallied as the mh-children builder does and released under the NHS rule never show a count of 1-7; random
// CIN/CP children tallied into the hidden-harm table and released under the DfE rule leave no hidden cell that an
// attacker can recompute from the published totals.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyDfeRule } from "../../src/returns/anon/dfe-rule.js";
import { HARM_COLUMNS, HARM_ROWS, harmRow } from "../../src/returns/builders/hidden-harm.js";
import { releaseLine } from "../../src/returns/builders/mh-children.js";
import type { EpisodeFacts } from "../../src/returns/builders/mh-children-facts.js";
import { MH_MEASURES, MhTally } from "../../src/returns/builders/mh-children-table.js";
import type { Suppression } from "../../src/returns/port.js";
import { recovered } from "./returns-solver.js";

const QUARTER = { label: "2026-01-01", from: "2026-01-01", to: "2026-03-31" };
const facts: fc.Arbitrary<{ provider: string; la: string; f: EpisodeFacts }> = fc.record({
  provider: fc.constantFrom("RX4", "RXE", "RXG"),
  la: fc.constantFrom("991", "992", "unknown"),
  f: fc.record({
    parentalStatus: fc.constantFrom(
      "children-in-household",
      "children-elsewhere",
      "no-children",
      "declined",
      "not-recorded",
    ) as fc.Arbitrary<EpisodeFacts["parentalStatus"]>,
    pregnant: fc.boolean(),
    childBirthDates: fc.array(
      fc
        .date({ min: new Date("2008-01-01"), max: new Date("2026-03-01"), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10)),
      { maxLength: 4 },
    ),
    youngCarers: fc.nat({ max: 2 }),
    childrensServices: fc.nat({ max: 2 }),
    flags: fc
      .subarray(["child-in-need", "child-protection-plan", "looked-after"])
      .map((codes) => new Map(codes.map((c) => [c, [{ start: "2025-06-01" }]]))),
  }),
});

describe("random populations", () => {
  it("mh-children: no released cell is 1-7, every other is a multiple of 5 within 2 of the count", () => {
    fc.assert(
      fc.property(fc.array(facts, { maxLength: 300 }), (episodes) => {
        const tally = new MhTally();
        for (const e of episodes) tally.add(e.provider, e.la, QUARTER, e.f);
        const suppressed: Suppression[] = [];
        for (const line of tally.sorted()) {
          const out = releaseLine(line, suppressed);
          for (const m of MH_MEASURES) {
            const v = out[m];
            const raw = line.counts[m];
            if (v === "*") expect(raw >= 1 && raw <= 7).toBe(true);
            else {
              expect(v >= 1 && v <= 7).toBe(false);
              expect(v % 5).toBe(0);
              expect(Math.abs(v - raw)).toBeLessThanOrEqual(2);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("hidden-harm: no DfE-suppressed cell can be recomputed from the published totals", () => {
    const child = fc.record({
      factors: fc.subarray(["4B", "1B", "2B", "3B", "3C", "7A", "21"]),
      cp: fc.boolean(),
      linked: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(child, { maxLength: 400 }), (children) => {
        const cells = HARM_ROWS.map(() => HARM_COLUMNS.map(() => 0));
        for (const c of children) {
          const r = HARM_ROWS.indexOf(harmRow(c.factors));
          const col = (c.cp ? 2 : 0) + (c.linked ? 0 : 1);
          (cells[r] as number[])[col] = (cells[r]?.[col] ?? 0) + 1;
        }
        const t = applyDfeRule({ rows: HARM_ROWS, columns: HARM_COLUMNS, cells });
        expect(recovered(t)).toEqual([]);
        if (t.grandTotal !== "c") expect(t.grandTotal).toBe(children.length);
      }),
      { numRuns: 300 },
    );
  });
});
