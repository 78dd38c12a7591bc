// The hidden harm return over a synthetic population: a table of CIN / CP children by parental factor
// combination and parent-in-adult-services, DfE rule with secondary suppression (no hidden cell can be
// recomputed from the published totals), counts that match the source census, and no identifier of the input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReleasedTable } from "../../src/returns/anon/dfe-rule.js";
import { buildReturn } from "../../src/returns/build.js";
import { HARM_ROWS, harmRow } from "../../src/returns/builders/hidden-harm.js";
import type { BuiltReturn } from "../../src/returns/port.js";
import { type Identifiers, identifiersIn, type Loaded, leaks, loadPopulation, testKeys } from "./returns-fixtures.js";
import { recovered } from "./returns-solver.js";

let loaded: Loaded;
let ids: Identifiers;
const built = new Map<string, BuiltReturn>();
const decode = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

beforeAll(async () => {
  loaded = await loadPopulation(400, "returns-harm");
  ids = await identifiersIn(loaded.store);
  for (const la of ["991", "992"])
    built.set(
      la,
      await buildReturn(
        { kind: "hidden-harm", period: { start: "2025-04-01", end: "2026-03-31" }, scope: { la, year: 2026 } },
        { store: loaded.store, keys: testKeys },
      ),
    );
}, 400_000);
afterAll(() => loaded?.store.close());

describe("hidden-harm return", () => {
  it("rows are factor combinations", () => {
    expect(HARM_ROWS.length).toBe(16);
    expect(harmRow(["4B", "3C", "7A"])).toBe("domestic-abuse-4B+mental-health-3B-3C");
    expect(harmRow(["21"])).toBe("none");
  });

  it("no hidden cell can be recomputed, no released cell is 1-5, and the children are all counted", () => {
    for (const la of ["991", "992"]) {
      const b = built.get(la) as BuiltReturn;
      const t = JSON.parse(decode(b.files[1]?.bytes)) as ReleasedTable;
      expect(recovered(t)).toEqual([]);
      const all = [...t.cells.flat(), ...t.rowTotals, ...t.columnTotals, t.grandTotal];
      for (const v of all) if (typeof v === "number") expect(v === 0 || v > 5).toBe(true);
      const source = loaded.files.find((f) => f.path.startsWith(`cin/${la}`))?.content ?? "";
      const children = (source.match(/<Child>/g) ?? []).length;
      expect(b.risk.recordsOut).toBe(children);
      if (t.grandTotal !== "c") expect(t.grandTotal).toBe(children);
      expect(b.risk.rule).toBe("dfe");
      expect(b.risk.suppressed.some((s) => s.reason === "primary")).toBe(true);
      expect(b.risk.suppressed.some((s) => s.reason === "secondary")).toBe(true);
      // Some children have a parent known to adult services (the flag is read): a link column is not all zero.
      expect(t.cells.some((row) => row[0] !== 0 || row[2] !== 0)).toBe(true);
      expect(b.files[0]?.name).toBe(`hidden-harm-${la}-2026.csv`);
    }
  });

  it("carries no identifier of the input", () => {
    for (const b of built.values()) {
      for (const f of b.files) expect(leaks(decode(f.bytes), ids), f.name).toEqual({});
      expect(leaks(JSON.stringify(b.risk), ids)).toEqual({});
    }
  });
});
