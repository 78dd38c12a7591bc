/** The score as a plain-text table (one section per measure, one row per split). */
import type { ScoreRow } from "./metrics.js";
import type { ScoreReport } from "./score.js";

const pct = (v: number | null) => (v === null ? "—" : v.toFixed(4));

function section(title: string, rows: ScoreRow[], notes: string[]): string[] {
  const header = ["split", "tp", "fp", "fn", "precision", "recall", "F1"];
  const body = rows.map((r) => [
    r.split,
    String(r.tp),
    String(r.fp),
    String(r.fn),
    pct(r.precision),
    pct(r.recall),
    pct(r.f1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  return [`## ${title}`, ...notes.map((n) => `(${n})`), line(header), ...body.map(line), ""];
}

/** The report as text. */
export function formatScore(report: ScoreReport): string {
  return [
    ...section("person links (pairs of Patient records)", report.personLinks.rows, report.personLinks.notes),
    ...section("household membership (pairs of people)", report.households.rows, report.households.notes),
    ...section(
      "household-has-children (adults with a record)",
      report.householdHasChildren.rows,
      report.householdHasChildren.notes,
    ),
  ].join("\n");
}
