/**
 * Streaming CSV (RFC 4180) over Web streams, for Node and Workers alike, that survives bad rows: a row
 * whose quoting is broken (a quote inside an unquoted field, text after a closing quote, a quoted field
 * that never closes), whose length passes the limit, or that holds invalid UTF-8 is rejected alone at
 * the line it starts on, and reading resumes at the next line. Rows end at CRLF, LF or CR, mixed freely;
 * a quoted field may span lines. One pass, linear in the input; memory bounded by the longest row.
 *
 * Hand-written rather than csv-parse (used here before): csv-parse cannot resume after a quoting error
 * (with `skip_records_with_error`, an invalid closing quote drops every later row), and its line count
 * drifts on CRLF inside quotes, so it could not say which row was bad or go on after it.
 */
import type { FhirIssue } from "../../fhir/errors.js";
import { READER_LIMITS, REPLACEMENT_CHAR } from "./limits.js";
import { type ByteSource, readLines, type TextLine } from "./text.js";

export type { ByteSource } from "./text.js";

/** What the CSV reader yields. `line` is the 1-based line in the file where the row starts (the header is line 1). */
export type CsvEvent =
  | { kind: "header"; columns: string[] }
  | { kind: "row"; line: number; record: Record<string, string> }
  | { kind: "bad-row"; line: number; issue: FhirIssue }
  | { kind: "fatal"; issue: FhirIssue };

/** Why a row could not be read, and in which column (1-based) when that is known. */
interface RowError {
  why: string;
  column?: number;
}

/** One row being read: fields so far, the open field, and the lines it has taken. */
class RowScanner {
  fields: string[] = [];
  field = "";
  inQuotes = false;
  chars = 0;
  lines: TextLine[] = [];

  constructor(private readonly maxChars: number) {}

  reset() {
    this.fields = [];
    this.field = "";
    this.inQuotes = false;
    this.chars = 0;
    this.lines = [];
  }

  /** Feeds the row's next line: "done" when the row is complete, "more" inside a quoted field, else the error. */
  feed(l: TextLine): "done" | "more" | RowError {
    this.lines.push(l);
    if (l.overlong) return { why: `The row is longer than ${this.maxChars} characters` };
    this.chars += l.text.length + l.eol.length;
    if (this.chars > this.maxChars) return { why: `The row is longer than ${this.maxChars} characters` };
    const text = l.text;
    const n = text.length;
    let i = 0;
    for (;;) {
      if (this.inQuotes) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          this.field += i === 0 ? text : text.slice(i);
          if (l.eol === "") return { why: "A quoted field never closes", column: this.fields.length + 1 };
          this.field += l.eol;
          return "more";
        }
        this.field += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          this.field += '"';
          i = q + 2;
          continue;
        }
        this.inQuotes = false;
        i = q + 1;
        if (i === n) {
          this.fields.push(this.field);
          return "done";
        }
        if (text.charCodeAt(i) !== 44)
          return { why: "A quoted field goes on after its closing quote", column: this.fields.length + 1 };
        this.fields.push(this.field);
        this.field = "";
        i++;
        continue;
      }
      // At the start of a field.
      if (i === n) {
        this.fields.push("");
        return "done";
      }
      if (text.charCodeAt(i) === 34) {
        this.inQuotes = true;
        i++;
        continue;
      }
      const comma = text.indexOf(",", i);
      const end = comma < 0 ? n : comma;
      const value = text.slice(i, end);
      if (value.includes('"'))
        return { why: "A quote inside a field that does not start with one", column: this.fields.length + 1 };
      this.fields.push(value);
      if (comma < 0) return "done";
      i = comma + 1;
    }
  }
}

const issueAt = (line: number, diagnostics: string, column?: string): FhirIssue => ({
  severity: "error",
  code: "structure",
  diagnostics,
  expression: [column === undefined ? `row ${line}` : `row ${line}, column ${column}`],
});

const fatal = (diagnostics: string, line: number): CsvEvent => ({
  kind: "fatal",
  issue: { severity: "fatal", code: "structure", diagnostics, expression: [`row ${line}`] },
});

/**
 * Reads CSV with a header row. A row whose column count differs from the header's, whose quoting is
 * broken, that is too long, or that holds invalid UTF-8 is a `bad-row` at the line it starts on; the
 * next row starts on the line after it. Empty lines are skipped.
 */
export async function* readCsv(source: ByteSource, maxChars = READER_LIMITS.recordChars): AsyncGenerator<CsvEvent> {
  let header: string[] | undefined;
  const scanner = new RowScanner(maxChars);
  const lines = readLines(source, maxChars)[Symbol.asyncIterator]();
  // Lines read but not yet part of a finished row. A bad row that spanned several lines is read again
  // from its second line: `pos` moves back to there (`rowStart + 1`), so no line is copied to re-read it.
  let buffer: TextLine[] = [];
  let pos = 0;
  let rowStart = 0;
  let first = true;

  const nextLine = async (): Promise<TextLine | undefined> => {
    if (pos < buffer.length) return buffer[pos++];
    const r = await lines.next();
    if (r.done) return undefined;
    if (first) {
      first = false;
      if (r.value.text.charCodeAt(0) === 0xfeff) r.value.text = r.value.text.slice(1);
    }
    buffer.push(r.value);
    pos++;
    return r.value;
  };
  /** Drops the lines before `pos` once a row is finished (amortised: only when they are most of the buffer). */
  const settle = () => {
    if (pos === buffer.length) {
      buffer.length = 0;
      pos = 0;
    } else if (pos > 1024 && pos * 2 > buffer.length) {
      buffer = buffer.slice(pos);
      pos = 0;
    }
    rowStart = pos;
  };

  try {
    for (;;) {
      const l = await nextLine();
      if (!l && scanner.lines.length === 0) break;
      if (l && scanner.lines.length === 0 && l.text === "" && !l.overlong) {
        settle();
        continue;
      }
      const state: ReturnType<RowScanner["feed"]> = l
        ? scanner.feed(l)
        : { why: "A quoted field never closes", column: scanner.fields.length + 1 };
      if (state === "more") continue;
      const start = (scanner.lines[0] as TextLine).line;
      if (state !== "done") {
        if (!header) {
          yield fatal(`The header row cannot be read: ${lowerFirst(state.why)}`, start);
          return;
        }
        // The row is bad from its first line; what followed that line is read again as new rows.
        pos = rowStart + 1;
        scanner.reset();
        settle();
        const column = state.column === undefined ? undefined : (header[state.column - 1] ?? String(state.column));
        yield { kind: "bad-row", line: start, issue: issueAt(start, state.why, column) };
        continue;
      }
      const record = scanner.fields;
      scanner.reset();
      settle();
      if (!header) {
        header = record.map((h) => h.trim());
        if (header.every((h) => h === "")) {
          yield fatal("The header row is empty", start);
          return;
        }
        if (header.some((h) => h.includes(REPLACEMENT_CHAR))) {
          yield fatal("The header row is not valid UTF-8", start);
          return;
        }
        const dup = header.find((h, i) => header?.indexOf(h) !== i);
        if (dup !== undefined) {
          yield fatal("The header row names a column twice", start);
          return;
        }
        yield { kind: "header", columns: header };
        continue;
      }
      if (record.length !== header.length) {
        yield {
          kind: "bad-row",
          line: start,
          issue: issueAt(start, `Row has ${record.length} columns; the header has ${header.length}`),
        };
        continue;
      }
      const invalid = record.findIndex((v) => v.includes(REPLACEMENT_CHAR));
      if (invalid >= 0) {
        yield {
          kind: "bad-row",
          line: start,
          issue: issueAt(start, "The value is not valid UTF-8", header[invalid]),
        };
        continue;
      }
      const out: Record<string, string> = {};
      for (let i = 0; i < header.length; i++) {
        const name = header[i] as string;
        // A column named __proto__ stays an own field (plain assignment would set the prototype instead).
        if (name === "__proto__")
          Object.defineProperty(out, name, { value: record[i], writable: true, enumerable: true, configurable: true });
        else out[name] = record[i] as string;
      }
      yield { kind: "row", line: start, record: out };
    }
  } finally {
    await lines.return?.(undefined);
  }
  if (!header) yield fatal("The file is empty: a header row is required", 1);
}

const lowerFirst = (s: string) => `${s.charAt(0).toLowerCase()}${s.slice(1)}`;
