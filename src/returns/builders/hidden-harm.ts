/**
 * The hidden harm return for safeguarding partnerships (DOMAIN.md §5): for one LA and census year, the CIN and
 * CP-plan children by the combination of parental factors found at assessment — domestic abuse (4B), alcohol
 * (1B), drugs (2B), mental health (3B/3C) — and whether a parent is linked to adult services (the child's
 * `parent-in-adult-services` flag). One table with row and column totals under the DfE rule with secondary
 * suppression. Read from the LA's census records a page at a time.
 */
import { FLAG_CODE_SYSTEM } from "../../reports/codes.js";
import type { Column } from "../../reports/csv.js";
import { chunk, codeIn, dayOf, type Json, referenceOf } from "../../reports/fhir-read.js";
import { REFERENCES_PER_QUERY, searchAll } from "../../reports/search-all.js";
import type { Store } from "../../store/port.js";
import { applyDfeRule, type DfeCell, TOTAL } from "../anon/dfe-rule.js";
import { riskReport } from "../anon/risk.js";
import type { BuiltReturn, ReturnBuildContext, ReturnRequest } from "../port.js";
import { censusYearOf } from "./cin-census.js";
import { censusBatches } from "./cin-children.js";
import { censusYear, episodesInYear } from "./cin-rules.js";
import { csvFile, jsonFile } from "./files.js";
import { checkAborted, overlaps, requireCode } from "./request-checks.js";

/** The factor groups, in row-label order: name and the assessment factor codes that count. */
export const HARM_GROUPS: readonly { name: string; codes: readonly string[] }[] = [
  { name: "domestic-abuse-4B", codes: ["4B"] },
  { name: "alcohol-1B", codes: ["1B"] },
  { name: "drugs-2B", codes: ["2B"] },
  { name: "mental-health-3B-3C", codes: ["3B", "3C"] },
];

/** The columns: CIN (no CP plan in the year) or CP plan, each split by a parent linked to adult services. */
export const HARM_COLUMNS = [
  "cin_parent_in_adult_services",
  "cin_no_link",
  "cp_parent_in_adult_services",
  "cp_no_link",
];

/** Row labels: `none`, then every combination of groups joined by `+` (by number of groups, then group order). */
export const HARM_ROWS: string[] = (() => {
  const subsets: number[][] = [];
  for (let mask = 1; mask < 1 << HARM_GROUPS.length; mask++)
    subsets.push(HARM_GROUPS.map((_, i) => i).filter((i) => mask & (1 << i)));
  subsets.sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
  return ["none", ...subsets.map((s) => s.map((i) => HARM_GROUPS[i]?.name).join("+"))];
})();

/** The row of a child from the factor codes of its assessments in the year. */
export function harmRow(factors: Iterable<string>): string {
  const have = new Set(factors);
  const names = HARM_GROUPS.filter((g) => g.codes.some((c) => have.has(c))).map((g) => g.name);
  return names.length === 0 ? "none" : names.join("+");
}

/** Children (of `patients`) whose parent-in-adult-services flag holds at some time in [from, to]. */
async function linkedToAdultServices(store: Store, patients: string[], from: string, to: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunk(patients, REFERENCES_PER_QUERY)) {
    const flags = (await searchAll(store, "Flag", [{ kind: "reference", param: "subject", targets: part }])).filter(
      (f) => (["parent-in-adult-services"] as readonly string[]).includes(codeIn(f.code, FLAG_CODE_SYSTEM) ?? ""),
    );
    for (const f of flags) {
      if (f.status === "entered-in-error") continue;
      const p = (f.period as Json | undefined) ?? {};
      const s = referenceOf(f.subject);
      if (s && overlaps(dayOf(p.start), dayOf(p.end), from, to)) out.add(s);
    }
  }
  return out;
}

/** One released row of the CSV. */
interface HarmLine {
  factors: string;
  cells: DfeCell[];
  total: DfeCell;
}

/** Builds the return for `scope.la` and `scope.year`. */
export async function buildHiddenHarm(request: ReturnRequest, context: ReturnBuildContext): Promise<BuiltReturn> {
  const la = requireCode(request, "la");
  const year = censusYearOf(request);
  const { start, referenceDate } = censusYear(year);
  const cells = HARM_ROWS.map(() => HARM_COLUMNS.map(() => 0));
  let read = 0;
  let counted = 0;
  for await (const batch of censusBatches(context.store, la, year)) {
    checkAborted(context);
    read += batch.read;
    const linked = await linkedToAdultServices(
      context.store,
      batch.entries.map((e) => e.patient),
      start,
      referenceDate,
    );
    for (const { patient, child } of batch.entries) {
      const episodes = episodesInYear(child.episodes, year);
      if (episodes.length === 0) continue;
      const cp = episodes.some((e) => e.cpps.some((c) => overlaps(c.start, c.end, start, referenceDate)));
      const factors = episodes.flatMap((e) => e.assessments.flatMap((a) => a.factors));
      const r = HARM_ROWS.indexOf(harmRow(factors));
      const c = (cp ? 2 : 0) + (linked.has(patient) ? 0 : 1);
      (cells[r] as number[])[c] = (cells[r]?.[c] ?? 0) + 1;
      counted++;
    }
    context.onProgress?.(read);
  }
  const table = applyDfeRule({ rows: HARM_ROWS, columns: HARM_COLUMNS, cells }, "dfe-1-5");
  const lines: HarmLine[] = [
    ...HARM_ROWS.map((factors, r) => ({ factors, cells: table.cells[r] ?? [], total: table.rowTotals[r] ?? "c" })),
    { factors: TOTAL, cells: table.columnTotals, total: table.grandTotal },
  ];
  const columns: Column<HarmLine>[] = [
    { header: "la", cell: () => la },
    { header: "year", cell: () => year },
    { header: "factors", cell: (l) => l.factors },
    ...HARM_COLUMNS.map((h, i) => ({ header: h, cell: (l: HarmLine) => l.cells[i] })),
    { header: "total", cell: (l) => l.total },
  ];
  const base = `hidden-harm-${la}-${year}`;
  return {
    files: [
      csvFile(`${base}.csv`, columns, lines),
      jsonFile(`${base}.json`, {
        return: "hidden-harm",
        la,
        year,
        rule: "dfe",
        rows: table.rows,
        columns: table.columns,
        cells: table.cells,
        rowTotals: table.rowTotals,
        columnTotals: table.columnTotals,
        grandTotal: table.grandTotal,
      }),
    ],
    risk: riskReport({
      kind: "hidden-harm",
      rule: "dfe",
      quasiIdentifiers: ["la", "year", "factors", "plan", "parent-in-adult-services"],
      releasedCounts: [...table.cells.flat(), ...table.rowTotals, ...table.columnTotals, table.grandTotal],
      recordsIn: read,
      recordsOut: counted,
      suppressed: table.suppressed,
      notes: [
        "DfE rule: counts of 1-5 are shown as c; further cells are hidden (secondary) until no row or column, totals included, has exactly one hidden cell.",
        "A child counts once: under CP plan when a plan was open at some time in the census year, else CIN; by the factors of all its assessments in the year.",
        "Parent in adult services: the child's parent-in-adult-services flag (an adult of its household with a CPA or drug and alcohol treatment episode) held at some time in the year.",
      ],
    }),
  };
}
