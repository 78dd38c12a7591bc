/** Named CSV tables (the CPA and SSD CSV forms): which table a file name stands for, and one table's rows with every problem located by table and row. */
import { type ByteSource, readCsv } from "../parsers/csv.js";
import type { SourceEvent } from "./events.js";

/**
 * The table a CSV file name stands for: any folder path (`/` or `\\`, as browsers and some clients send
 * it) and a `.csv` extension are dropped, so `C:\\exports\\MHS001MPI.csv` is `MHS001MPI`.
 */
export function csvTableName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? "";
  return base.replace(/\.csv$/i, "");
}

/** What reading one table gives: its rows, a rejected row (located), or a problem that stops the file. */
export type TableRowEvent =
  | { kind: "row"; line: number; where: string; record: Record<string, string> }
  | Extract<SourceEvent, { kind: "broken" | "fatal" }>;

/**
 * The rows of `table` (read from `src`): a problem of the whole file, or a header without `keyColumn` (the
 * column joining rows to their person), is one `fatal` event and the end; a bad row is `broken` at
 * `<table>.csv row N`, and reading goes on.
 */
export async function* tableRows(table: string, src: ByteSource, keyColumn?: string): AsyncGenerator<TableRowEvent> {
  for await (const e of readCsv(src)) {
    if (e.kind === "fatal") {
      yield {
        kind: "fatal",
        issue: { ...e.issue, expression: [`${table}.csv ${e.issue.expression?.[0] ?? ""}`.trim()] },
      };
      return;
    }
    if (e.kind === "header") {
      if (keyColumn && !e.columns.includes(keyColumn)) {
        yield {
          kind: "fatal",
          issue: {
            severity: "fatal",
            code: "structure",
            diagnostics: `${table}.csv has no ${keyColumn} column`,
            expression: [`${table}.csv row 1`],
          },
        };
        return;
      }
      continue;
    }
    const where = `${table}.csv row ${e.line}`;
    if (e.kind === "bad-row") {
      yield { kind: "broken", index: e.line, label: where, issues: [{ ...e.issue, expression: [where] }] };
      continue;
    }
    yield { kind: "row", line: e.line, where, record: e.record };
  }
}
