/**
 * Streaming CSV (RFC 4180) over Web streams, for Node and Workers alike. The text is cut into
 * batches at line ends that lie outside quotes (an even number of `"` before them), and each batch
 * is parsed by csv-parse; memory stays bounded by the batch size, not the file size.
 */
import { parse } from "csv-parse/browser/esm/sync";
import type { FhirIssue } from "../../fhir/errors.js";
import { type ByteSource, decoded } from "./text.js";

export type { ByteSource } from "./text.js";

/** What the CSV reader yields. `line` is the 1-based line in the file where the row ends (the header is line 1). */
export type CsvEvent =
  | { kind: "header"; columns: string[] }
  | { kind: "row"; line: number; record: Record<string, string> }
  | { kind: "bad-row"; line: number; issue: FhirIssue }
  | { kind: "fatal"; issue: FhirIssue };

/** Bytes of text without a safe cut point before the reader gives up (a quote that never closes). */
const MAX_PENDING = 4 * 1024 * 1024;

/** Index just past the last line end outside quotes, or 0 when there is none. */
function safeCut(text: string): number {
  let inQuotes = false;
  let cut = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34) inQuotes = !inQuotes;
    else if (ch === 10 && !inQuotes) cut = i + 1;
  }
  return cut;
}

const fatal = (diagnostics: string, line: number): CsvEvent => ({
  kind: "fatal",
  issue: { severity: "fatal", code: "structure", diagnostics, expression: [`row ${line}`] },
});

/** Reads CSV with a header row. Rows whose column count differs from the header are `bad-row`s. */
export async function* readCsv(source: ByteSource): AsyncGenerator<CsvEvent> {
  let pending = "";
  let linesDone = 0;
  let header: string[] | undefined;
  let first = true;

  function* parseBatch(text: string): Generator<CsvEvent> {
    let rows: { record: string[]; info: { lines: number } }[];
    try {
      rows = parse(text, {
        relax_quotes: true,
        relax_column_count: true,
        skip_empty_lines: true,
        info: true,
        bom: first,
      }) as unknown as { record: string[]; info: { lines: number } }[];
    } catch (err) {
      yield fatal(
        `The file is not valid CSV near this row (${(err as { code?: string }).code ?? "parse error"})`,
        linesDone + 1,
      );
      return;
    }
    first = false;
    for (const { record, info } of rows) {
      const line = linesDone + info.lines;
      if (!header) {
        header = record.map((h) => h.trim());
        if (header.length === 0 || header.every((h) => h === "")) {
          yield fatal("The header row is empty", line);
          return;
        }
        const dup = header.find((h, i) => header?.indexOf(h) !== i);
        if (dup !== undefined) {
          yield fatal("The header row names a column twice", line);
          return;
        }
        yield { kind: "header", columns: header };
        continue;
      }
      if (record.length !== header.length) {
        yield {
          kind: "bad-row",
          line,
          issue: {
            severity: "error",
            code: "structure",
            diagnostics: `Row has ${record.length} columns; the header has ${header.length}`,
            expression: [`row ${line}`],
          },
        };
        continue;
      }
      const out: Record<string, string> = {};
      header.forEach((h, i) => {
        out[h] = record[i] as string;
      });
      yield { kind: "row", line, record: out };
    }
  }

  for await (const chunk of decoded(source)) {
    pending += chunk;
    const cut = safeCut(pending);
    if (cut === 0) {
      if (pending.length > MAX_PENDING) {
        yield fatal("A quoted field never closes", linesDone + 1);
        return;
      }
      continue;
    }
    const batch = pending.slice(0, cut);
    pending = pending.slice(cut);
    for (const e of parseBatch(batch)) {
      yield e;
      if (e.kind === "fatal") return;
    }
    linesDone += countLines(batch);
  }
  if (pending.trim() !== "") {
    if (safeCut(`${pending}\n`) === 0) {
      yield fatal("A quoted field never closes", linesDone + 1);
      return;
    }
    for (const e of parseBatch(`${pending}\n`)) {
      yield e;
      if (e.kind === "fatal") return;
    }
  }
  if (!header) yield fatal("The file is empty: a header row is required", 1);
}

function countLines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
