// An attacker's solver for a DfE-released table, independent of the suppression code: it recovers every hidden
// cell it can from the published totals, so a test can assert that none can be recovered.
import type { ReleasedTable } from "../../src/returns/anon/dfe-rule.js";

/**
 * Solves the published table: a line (row with its total, column with its total, the totals row and column
 * with the grand total) with exactly one unknown gives it; repeat until nothing more is found. Returns the
 * labels of cells the release hid that the solver recovered (a disclosure).
 */
export function recovered(t: ReleasedTable): string[] {
  const R = t.rows.length;
  const C = t.columns.length;
  const grid: (number | "c")[][] = [
    ...t.cells.map((row, r) => [...row, t.rowTotals[r] as number | "c"]),
    [...t.columnTotals, t.grandTotal],
  ];
  const known = grid.map((row) => row.map((v) => v !== "c"));
  const values = grid.map((row) => row.map((v) => (v === "c" ? Number.NaN : v)));
  const lines: [number, number][][] = [];
  for (let r = 0; r <= R; r++) lines.push(Array.from({ length: C + 1 }, (_, c) => [r, c] as [number, number]));
  for (let c = 0; c <= C; c++) lines.push(Array.from({ length: R + 1 }, (_, r) => [r, c] as [number, number]));
  const found: string[] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (const line of lines) {
      const unknown = line.filter(([r, c]) => !known[r]?.[c]);
      if (unknown.length !== 1) continue;
      const [ur, uc] = unknown[0] as [number, number];
      const total = line[line.length - 1] as [number, number];
      const parts = line.slice(0, -1);
      const sumParts = parts.reduce((s, [r, c]) => s + (r === ur && c === uc ? 0 : (values[r]?.[c] ?? 0)), 0);
      const v = ur === total[0] && uc === total[1] ? sumParts : (values[total[0]]?.[total[1]] ?? 0) - sumParts;
      (values[ur] as number[])[uc] = v;
      (known[ur] as boolean[])[uc] = true;
      found.push(`${ur < R ? t.rows[ur] : "Total"}|${uc < C ? t.columns[uc] : "Total"}`);
      changed = true;
    }
  }
  return found;
}
