// The anonymisation toolkit (src/returns/anon): NHS rule, DfE rule with secondary suppression (checked by an
// independent solver that recovers every cell it can from the published totals), pseudonyms, generalisation,
// k-anonymity.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyDfeRule, type ReleasedTable } from "../../src/returns/anon/dfe-rule.js";
import { ageOn, bandOf, firstOfMonth, postcodeDistrict } from "../../src/returns/anon/generalise.js";
import { EquivalenceClasses } from "../../src/returns/anon/k-anonymity.js";
import { nhsRule } from "../../src/returns/anon/nhs-rule.js";
import { pseudonymiser } from "../../src/returns/anon/pseudonym.js";
import { recovered } from "./returns-solver.js";

const tables = fc
  .record({ rows: fc.integer({ min: 1, max: 6 }), columns: fc.integer({ min: 1, max: 6 }) })
  .chain(({ rows, columns }) =>
    fc.array(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 60 })), {
        minLength: columns,
        maxLength: columns,
      }),
      { minLength: rows, maxLength: rows },
    ),
  );

describe("NHS rule", () => {
  it("never releases 1-7, releases multiples of 5 otherwise, and is within 2 of the count", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 100_000 }), { maxLength: 200 }), (counts) => {
        for (const n of counts) {
          const out = nhsRule(n);
          if (n >= 1 && n <= 7) expect(out).toBe("*");
          else {
            expect(typeof out).toBe("number");
            expect((out as number) % 5).toBe(0);
            expect(Math.abs((out as number) - n)).toBeLessThanOrEqual(2);
            expect(out === 1 || (out as number) > 7 || out === 0).toBe(true);
          }
        }
      }),
    );
  });
  it("golden values", () => {
    expect([0, 1, 7, 8, 12, 13, 17, 18, 100].map(nhsRule)).toEqual([0, "*", "*", 10, 10, 15, 15, 20, 100]);
  });
});

describe("DfE rule with secondary suppression", () => {
  it("no suppressed cell can be recomputed from the published totals, and every 1-5 is hidden", () => {
    fc.assert(
      fc.property(tables, (cells) => {
        const t = applyDfeRule({
          rows: cells.map((_, i) => `r${i}`),
          columns: (cells[0] ?? []).map((_, i) => `c${i}`),
          cells,
        });
        expect(recovered(t)).toEqual([]);
        const released = [...t.cells.flat(), ...t.rowTotals, ...t.columnTotals, t.grandTotal];
        for (const v of released) if (typeof v === "number") expect(v === 0 || v > 5).toBe(true);
        // Visible cells are the true counts.
        cells.forEach((row, r) => {
          row.forEach((v, c) => {
            if (t.cells[r]?.[c] !== "c") expect(t.cells[r]?.[c]).toBe(v);
          });
        });
      }),
      { numRuns: 500 },
    );
  });
  it("hides the next-smallest cell of a row with one small cell, and says why", () => {
    const t = applyDfeRule({
      rows: ["a", "b"],
      columns: ["x", "y", "z"],
      cells: [
        [3, 10, 20],
        [8, 9, 30],
      ],
    });
    expect(t.cells[0]).toEqual(["c", "c", 20]);
    expect(t.suppressed.find((s) => s.cell === "a|x")?.reason).toBe("primary");
    expect(t.suppressed.find((s) => s.cell === "a|y")?.reason).toBe("secondary");
    expect(recovered(t)).toEqual([]);
  });
  it("the solver does catch a table with only primary suppression (it can fail)", () => {
    const t = applyDfeRule({ rows: ["a"], columns: ["x", "y"], cells: [[3, 10]] });
    const naive: ReleasedTable = { ...t, cells: [["c", 10]], rowTotals: [13], columnTotals: ["c", 10], grandTotal: 13 };
    expect(recovered(naive).length).toBeGreaterThan(0);
  });
});

describe("pseudonyms", () => {
  const key = (id: string, fill: number) => ({ id, secret: new Uint8Array(32).fill(fill) });
  it("are stable per key, tagged with the key id, and differ between keys", async () => {
    const a = await pseudonymiser(key("mh-2026", 1));
    const b = await pseudonymiser(key("ndtms-2026", 2));
    const p = await a.pseudonym("943 476 5919");
    expect(p).toMatch(/^mh-2026_[A-Za-z0-9_-]{22}$/);
    expect(await a.pseudonym("9434765919")).toBe(p);
    expect((await b.pseudonym("9434765919")).slice(11)).not.toBe(p.slice(8));
  });
  it("refuses a short key", async () => {
    await expect(pseudonymiser({ id: "k", secret: new Uint8Array(8) })).rejects.toThrow();
  });
});

describe("generalisation and k-anonymity", () => {
  it("dates to the first of the month, ages into bands, postcodes to districts", () => {
    expect(firstOfMonth("2016-05-05")).toBe("2016-05-01");
    expect(ageOn("2016-05-05", "2026-05-04")).toBe(9);
    expect(ageOn("2016-05-05", "2026-05-05")).toBe(10);
    expect(bandOf(4)).toBe("0-4");
    expect(bandOf(17)).toBe("16-17");
    expect(bandOf(18)).toBeUndefined();
    expect(postcodeDistrict("SW1A 1AA")).toBe("SW1");
    expect(postcodeDistrict("LS1 4AP")).toBe("LS1");
    expect(postcodeDistrict("zz99 3aa")).toBe("ZZ99");
    expect(postcodeDistrict("nonsense")).toBeUndefined();
  });
  it("k is the smallest class", () => {
    const k = new EquivalenceClasses();
    for (const v of [
      ["a", "1"],
      ["a", "1"],
      ["b", "2"],
      ["a", "1"],
    ])
      k.add(v);
    expect(k.k()).toBe(1);
    expect(k.records).toBe(4);
    expect(k.classesBelow(2)).toBe(1);
  });
});
