/**
 * Report rows as CSV (RFC 4180, csv-stringify) that no spreadsheet runs as a formula: a cell starting
 * with `=`, `+`, `-`, `@` (or a full-width form of one), a tab or a carriage return is prefixed with `'` (OWASP CSV injection advice;
 * csv-stringify's `escape_formulas`). Numbers are written as numbers.
 */
import { stringify } from "csv-stringify/browser/esm/sync";

/** A CSV cell value. */
export type Cell = string | number | null | undefined;

/** A column: its header and how a row gives its cell. */
export interface Column<T> {
  header: string;
  cell: (row: T) => Cell;
}

// A lone CR or LF in a cell is quoted too, so no reader takes it for the end of a row.
const options = { escape_formulas: true, record_delimiter: "\r\n" as const, eof: true, quoted_match: /[\r\n]/ };

/** The header line of `columns` (CRLF-terminated). */
export function csvHeader<T>(columns: readonly Column<T>[]): string {
  return stringify([columns.map((c) => c.header)], options);
}

/** The lines of `rows` (each CRLF-terminated); `""` for none. */
export function csvRows<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  if (rows.length === 0) return "";
  return stringify(
    rows.map((r) => columns.map((c) => c.cell(r) ?? "")),
    options,
  );
}
