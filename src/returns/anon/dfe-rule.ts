/**
 * The DfE small-number rule over a table with row and column totals: 1–5 → `c` (primary), then secondary
 * suppression until no row or column (totals included) has exactly one hidden cell, so no hidden cell can be
 * recomputed by subtracting the visible ones from a published total.
 */
import type { Suppression } from "../port.js";

/** A released cell: a count, or `c` for a suppressed one (0 is shown as 0). */
export type DfeCell = number | "c";

/** A table of counts: `cells[r][c]` is the count of row `rows[r]` and column `columns[c]`. */
export interface CountTable {
  rows: string[];
  columns: string[];
  cells: number[][];
}

/** The table as released: cells, row totals, column totals and the grand total, each maybe `c`. */
export interface ReleasedTable {
  rows: string[];
  columns: string[];
  cells: DfeCell[][];
  rowTotals: DfeCell[];
  columnTotals: DfeCell[];
  grandTotal: DfeCell;
  /** One entry per hidden cell (label `row|column`, `Total` for a margin). */
  suppressed: Suppression[];
}

/** The label of the totals row and column. */
export const TOTAL = "Total";

/** True when the DfE rule suppresses `count` on its own (1–5). */
export const isDfePrimary = (count: number) => count >= 1 && count <= 5;

/** The table with its margins as one (rows + 1) × (columns + 1) grid: the last row and column are the totals. */
export function withTotals(table: CountTable): number[][] {
  const R = table.rows.length;
  const C = table.columns.length;
  const grid = Array.from({ length: R + 1 }, (_, r) =>
    Array.from({ length: C + 1 }, (_, c) => (r < R && c < C ? (table.cells[r]?.[c] ?? 0) : 0)),
  );
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const v = grid[r]?.[c] ?? 0;
      (grid[r] as number[])[C] = (grid[r]?.[C] ?? 0) + v;
      (grid[R] as number[])[c] = (grid[R]?.[c] ?? 0) + v;
      (grid[R] as number[])[C] = (grid[R]?.[C] ?? 0) + v;
    }
  }
  return grid;
}

/** Every line of a grid whose cells sum to its last cell: each row and each column, as lists of positions. */
export function gridLines(rows: number, columns: number): [number, number][][] {
  const lines: [number, number][][] = [];
  for (let r = 0; r < rows; r++) lines.push(Array.from({ length: columns }, (_, c) => [r, c] as [number, number]));
  for (let c = 0; c < columns; c++) lines.push(Array.from({ length: rows }, (_, r) => [r, c] as [number, number]));
  return lines;
}

/**
 * Which cells of the margin grid to hide: primary (1–5), then, while some line has exactly one hidden cell,
 * the smallest visible non-zero cell of that line (a zero only when nothing else is left), to a fixpoint.
 */
export function dfeHidden(grid: number[][]): { hidden: boolean[][]; secondary: boolean[][] } {
  const rows = grid.length;
  const columns = grid[0]?.length ?? 0;
  const hidden = grid.map((row) => row.map(isDfePrimary));
  const secondary = grid.map((row) => row.map(() => false));
  const lines = gridLines(rows, columns);
  const value = ([r, c]: [number, number]) => grid[r]?.[c] ?? 0;
  const isHidden = ([r, c]: [number, number]) => hidden[r]?.[c] === true;
  for (let changed = true; changed; ) {
    changed = false;
    for (const line of lines) {
      if (line.filter(isHidden).length !== 1) continue;
      const visible = line.filter((p) => !isHidden(p));
      const pool = visible.some((p) => value(p) > 0) ? visible.filter((p) => value(p) > 0) : visible;
      const pick = pool.reduce<[number, number] | undefined>(
        (best, p) => (best === undefined || value(p) < value(best) ? p : best),
        undefined,
      );
      if (!pick) continue;
      (hidden[pick[0]] as boolean[])[pick[1]] = true;
      (secondary[pick[0]] as boolean[])[pick[1]] = true;
      changed = true;
    }
  }
  return { hidden, secondary };
}

/** Applies the DfE rule with secondary suppression to a table, publishing row, column and grand totals. */
export function applyDfeRule(table: CountTable, rule = "dfe-1-5"): ReleasedTable {
  const grid = withTotals(table);
  const { hidden, secondary } = dfeHidden(grid);
  const R = table.rows.length;
  const C = table.columns.length;
  const label = (r: number, c: number) => `${r < R ? table.rows[r] : TOTAL}|${c < C ? table.columns[c] : TOTAL}`;
  const cell = (r: number, c: number): DfeCell => (hidden[r]?.[c] ? "c" : (grid[r]?.[c] ?? 0));
  const suppressed: Suppression[] = [];
  for (let r = 0; r <= R; r++)
    for (let c = 0; c <= C; c++)
      if (hidden[r]?.[c])
        suppressed.push({ cell: label(r, c), reason: secondary[r]?.[c] ? "secondary" : "primary", rule });
  return {
    rows: [...table.rows],
    columns: [...table.columns],
    cells: Array.from({ length: R }, (_, r) => Array.from({ length: C }, (_, c) => cell(r, c))),
    rowTotals: Array.from({ length: R }, (_, r) => cell(r, C)),
    columnTotals: Array.from({ length: C }, (_, c) => cell(R, c)),
    grandTotal: cell(R, C),
    suppressed,
  };
}
