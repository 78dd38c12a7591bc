/**
 * Reads CPA records (docs/sources/cpa.md): a JSON document with `Patients`, NDJSON (one patient
 * per line), or the same tables as CSV files, joined on LocalPatientId.
 */

import { JSONParser, TokenType } from "@streamparser/json";
import type { FhirIssue } from "../../fhir/errors.js";
import type { ByteSource } from "../parsers/csv.js";
import { deeperThan, READER_LIMITS, REPLACEMENT_CHAR, type ReaderLimits, replacementAt } from "../parsers/limits.js";
import { decoded, describeJsonError, PARSER_PIECE_CHARS, readLines } from "../parsers/text.js";
import { csvTableName, tableRows } from "./csv-tables.js";
import type { SourceEvent } from "./events.js";

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const broken = (index: number, label: string, diagnostics: string, where = label): SourceEvent => ({
  kind: "broken",
  index,
  label,
  issues: [{ severity: "error", code: "structure", diagnostics, expression: [where] }],
});
const fatal = (diagnostics: string, where: string): SourceEvent => ({
  kind: "fatal",
  issue: { severity: "fatal", code: "structure", diagnostics, expression: [where] },
});

/**
 * Deepest nesting inside one patient that is still parsed (and then rejected past the record limit, 32):
 * deeper than this, the file stops, so a hostile record cannot make the parser hold a huge stack.
 */
const MAX_PATIENT_DEPTH = 10_000;

/** Where a CPA JSON document stands while it streams in. */
interface JsonProgress {
  header: Record<string, unknown> | undefined;
  patients: number;
  sawPatients: boolean;
  sawRoot: boolean;
}

/**
 * Reads a CPA JSON document, `{ MHS000Header, Patients: [...] }`, as it streams in (@streamparser/json,
 * Web APIs only): each patient is read, checked and handed on before the next one is parsed, and one
 * that has been handed on is dropped, so memory holds one record, not the file. MHS000Header must come
 * before Patients, as the schema orders them (its provider code is the default owner of every record).
 * Anything that arrives for longer than a record may be without completing a patient (one huge patient,
 * a huge value beside Patients) stops the file at that point.
 */
export async function* cpaJsonRecords(
  source: ByteSource,
  limits: ReaderLimits = READER_LIMITS,
): AsyncGenerator<SourceEvent> {
  const state: JsonProgress = { header: undefined, patients: 0, sawPatients: false, sawRoot: false };
  const ready: SourceEvent[] = [];
  let failure: SourceEvent | undefined;
  let sinceValue = 0;
  // Whether text read since the last patient (invalidSince), or in the piece being parsed (invalidNow),
  // holds U+FFFD: only then is a patient searched for invalid UTF-8.
  let invalidSince = false;
  let invalidNow = false;
  const fail = (e: SourceEvent) => {
    failure ??= e;
  };
  const where = () => (state.patients > 0 ? `Patients[${state.patients - 1}]` : "$");
  // Only the header and the patients are selected: selecting the document or the Patients array too
  // would make the parser keep every patient for it (measured: a 100 MB file then needs 300 MB).
  const parser = new JSONParser({ paths: ["$.MHS000Header", "$.Patients.*"], keepStack: false });
  // The envelope is checked token by token: what the root and Patients are, where the header stands, and
  // how deep anything nests (so nothing deeper than the limit is built outside a patient, and nothing
  // deeper than MAX_PATIENT_DEPTH inside one).
  let depth = 0;
  let expectKey = false;
  let afterColon = false;
  let topKey: string | undefined;
  parser.onToken = ({ token, value }) => {
    if (failure) return;
    if (!state.sawRoot) {
      state.sawRoot = true;
      if (token !== TokenType.LEFT_BRACE) {
        fail(fatal("A CPA JSON document is an object with a Patients array", "Patients"));
        return;
      }
    }
    if (depth === 1 && afterColon) {
      afterColon = false;
      if (topKey === "Patients") {
        if (token === TokenType.LEFT_BRACKET) state.sawPatients = true;
        else fail(fatal("A CPA JSON document is an object with a Patients array", "Patients"));
      }
    }
    switch (token) {
      case TokenType.LEFT_BRACE:
      case TokenType.LEFT_BRACKET:
        depth++;
        if (depth === 1) expectKey = true;
        if (topKey === "Patients" ? depth > 2 + MAX_PATIENT_DEPTH : depth > limits.depth)
          fail(
            fatal(
              `The document is nested deeper than ${topKey === "Patients" ? MAX_PATIENT_DEPTH : limits.depth} levels`,
              where(),
            ),
          );
        break;
      case TokenType.RIGHT_BRACE:
      case TokenType.RIGHT_BRACKET:
        depth--;
        break;
      case TokenType.COMMA:
        if (depth === 1) expectKey = true;
        break;
      case TokenType.COLON:
        if (depth === 1) afterColon = true;
        break;
      case TokenType.STRING:
        if (depth === 1 && expectKey) {
          expectKey = false;
          topKey = String(value);
          if (topKey === "MHS000Header" && state.sawPatients)
            fail(fatal("MHS000Header must come before Patients", "MHS000Header"));
        }
        break;
    }
  };
  parser.onValue = ({ value, key, stack }) => {
    if (failure) return;
    sinceValue = 0;
    if (stack.length === 1 && key === "MHS000Header") {
      state.header = isObject(value) ? value : {};
      if (state.header.OrgIDProvider !== undefined)
        ready.push({ kind: "owner", owner: state.header.OrgIDProvider, where: "MHS000Header.OrgIDProvider" });
      return;
    }
    if (stack.length !== 2 || typeof key !== "number") return;
    state.patients = key + 1;
    const label = `Patients[${key}]`;
    const problem = recordProblem(value, limits, (p) => `${label}.${p}`, label, invalidSince);
    invalidSince = invalidNow;
    if (problem) {
      ready.push(broken(key + 1, label, problem.diagnostics, problem.where));
      return;
    }
    ready.push({
      kind: "record",
      record: {
        index: key + 1,
        label,
        data: withHeader(value as Record<string, unknown>, state.header ?? {}),
        locate: (p) => `${label}.${p}`,
      },
    });
  };
  parser.onError = (err) => {
    fail(fatal(`The file is ${describeStreamError(err)}`, where()));
  };
  for await (const chunk of decoded(source, PARSER_PIECE_CHARS)) {
    if (parser.isEnded) {
      if (chunk.trim() !== "") fail(fatal("The file goes on after the end of its JSON document", where()));
    } else {
      sinceValue += chunk.length;
      invalidNow = chunk.includes(REPLACEMENT_CHAR);
      if (invalidNow) invalidSince = true;
      parser.write(chunk);
      if (!failure && sinceValue > limits.recordChars)
        fail(fatal(`A patient record (or another value) is longer than ${limits.recordChars} characters`, where()));
    }
    yield* ready.splice(0);
    if (failure) {
      yield failure;
      return;
    }
  }
  if (!parser.isEnded && !failure) parser.end();
  if (!failure && !state.sawRoot) fail(fatal("The file is empty", "$"));
  if (!failure && !state.sawPatients) fail(fatal("A CPA JSON document is an object with a Patients array", "Patients"));
  yield* ready.splice(0);
  if (failure) yield failure;
}

/**
 * Why a parsed record cannot be mapped, before mapping starts: not an object, nested deeper than the
 * limit (mapping walks records recursively), or holding invalid UTF-8 (decoded as U+FFFD).
 */
function recordProblem(
  value: unknown,
  limits: ReaderLimits,
  locate: (path: string) => string,
  label: string,
  mayHoldInvalid: boolean,
): { where: string; diagnostics: string } | undefined {
  if (!isObject(value)) return { where: label, diagnostics: "A patient record must be an object" };
  if (deeperThan(value, limits.depth))
    return { where: label, diagnostics: `The record is nested deeper than ${limits.depth} levels` };
  if (!mayHoldInvalid) return undefined;
  const bad = replacementAt(value);
  if (bad !== undefined) return { where: bad ? locate(bad) : label, diagnostics: "The value is not valid UTF-8" };
  return undefined;
}

/** A @streamparser/json error described by its kind and byte position only (its messages quote the input). */
function describeStreamError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const pos = /absolute position "(\d+)"/.exec(message)?.[1];
  if (/ended in mid-parsing/i.test(message)) return "cut short: its JSON document never ends";
  return `not valid JSON${pos ? ` (at byte ${pos})` : ""}`;
}

/** Reads CPA NDJSON: one patient record per line. A line over the record limit is rejected unread. */
export async function* cpaNdjsonRecords(
  source: ByteSource,
  limits: ReaderLimits = READER_LIMITS,
): AsyncGenerator<SourceEvent> {
  for await (const { line, text, overlong } of readLines(source, limits.recordChars)) {
    const label = `line ${line}`;
    if (overlong) {
      yield broken(line, label, `The line is longer than ${limits.recordChars} characters`);
      continue;
    }
    if (text.trim() === "") continue;
    let patient: unknown;
    try {
      patient = JSON.parse(text);
    } catch (err) {
      yield broken(line, label, `The line is ${describeJsonError(err)}`);
      continue;
    }
    const locate = (p: string) => `${label}: ${p}`;
    const problem = recordProblem(patient, limits, locate, label, text.includes(REPLACEMENT_CHAR));
    if (problem) {
      yield broken(line, label, problem.diagnostics, problem.where);
      continue;
    }
    yield {
      kind: "record",
      record: { index: line, label, data: patient as Record<string, unknown>, locate },
    };
  }
}

/**
 * A patient record with the header's provider code when the record has none. Nothing else comes from
 * the header: the reporting period describes the submission, not the patient, and only the JSON
 * document has a header, so a record maps to the same resources in JSON, NDJSON and CSV.
 */
function withHeader(patient: Record<string, unknown>, header: Record<string, unknown>): Record<string, unknown> {
  const out = { ...patient };
  if (out.OrgIDProv === undefined && header.OrgIDProvider !== undefined) out.OrgIDProv = header.OrgIDProvider;
  return out;
}

/**
 * The CSV tables of the CPA CSV form and where each lands in a record. Tables with `join` hold items
 * of a referral (its EPR events): each row names its referral by `ServiceRequestId` and lands in that
 * referral's list; `value` names the column of a list of plain values (dates).
 */
export const CPA_TABLES = {
  MHS001MPI: { at: "MHS001MPI", many: false },
  MHS005PatInd: { at: "MHS005PatInd", many: false },
  MHS006MHCareCoord: { at: "MHS006MHCareCoord", many: true },
  MHS701CPACareEpisode: { at: "MHS701CPACareEpisode", many: true },
  MHS702CPAReview: { at: "MHS702CPAReview", many: true },
  MHS101Referral: { at: "MHS101Referral", many: true },
  ReferralAdmission: { at: "Admissions", many: true, join: "ServiceRequestId" },
  ReferralMissedAppointment: {
    at: "MissedAppointments",
    many: true,
    join: "ServiceRequestId",
    value: "AppointmentDate",
  },
  Household: { at: "Household", many: false },
  HouseholdChild: { at: "Household.Children", many: true },
  HouseholdAdult: { at: "Household.OtherAdults", many: true },
} as const;

type TableName = keyof typeof CPA_TABLES;
type TableSpec = { at: string; many: boolean; join?: "ServiceRequestId"; value?: string };

interface Row {
  table: TableName;
  line: number;
  values: Record<string, string>;
}

/**
 * Reads the CPA CSV tables (name → CSV text or bytes; names with or without `.csv`).
 * MHS001MPI is required; every row must carry LocalPatientId.
 */
export async function* cpaCsvRecords(tables: Record<string, ByteSource>): AsyncGenerator<SourceEvent> {
  const byTable = new Map<TableName, ByteSource>();
  for (const [name, src] of Object.entries(tables)) {
    const base = csvTableName(name);
    if (byTable.has(base as TableName)) {
      yield fatal(`Table ${base} is sent twice`, `${base}.csv`);
      return;
    }
    if (!Object.hasOwn(CPA_TABLES, base)) {
      yield fatal(
        `Unknown CPA table '${base.slice(0, 40)}': expected ${Object.keys(CPA_TABLES).join(", ")}`,
        base.slice(0, 40),
      );
      return;
    }
    byTable.set(base as TableName, src);
  }
  if (!byTable.has("MHS001MPI")) {
    yield fatal("The MHS001MPI table is required", "MHS001MPI.csv");
    return;
  }
  const rowsByPatient = new Map<string, Row[]>();
  const brokenRows: SourceEvent[] = [];
  for (const [table, src] of byTable) {
    for await (const e of tableRows(table, src, "LocalPatientId")) {
      if (e.kind === "fatal") {
        yield e;
        return;
      }
      if (e.kind === "broken") {
        brokenRows.push(e);
        continue;
      }
      const id = e.record.LocalPatientId?.trim() ?? "";
      const list = rowsByPatient.get(id) ?? [];
      list.push({ table, line: e.line, values: e.record });
      rowsByPatient.set(id, list);
    }
  }
  yield* brokenRows;
  for (const [id, rows] of rowsByPatient) {
    const mpi = rows.filter((r) => r.table === "MHS001MPI");
    if (mpi.length !== 1) {
      const first = rows[0] as Row;
      const where = `${first.table}.csv row ${first.line}`;
      const diagnostics =
        mpi.length === 0
          ? "No MHS001MPI row has this LocalPatientId"
          : "More than one MHS001MPI row has this LocalPatientId";
      yield {
        kind: "broken",
        index: first.line,
        label: where,
        issues: [
          {
            severity: "error",
            code: "structure",
            diagnostics,
            expression: [where, "column LocalPatientId"],
          } as FhirIssue,
        ],
      };
      continue;
    }
    const { data, places, problems } = assemble(id, rows);
    if (problems.length) {
      yield {
        kind: "broken",
        index: problems[0]?.line ?? 0,
        label: problems[0]?.where ?? "",
        issues: problems.map((p) => p.issue),
      };
      continue;
    }
    const mpiRow = mpi[0] as Row;
    yield {
      kind: "record",
      record: {
        index: mpiRow.line,
        label: `MHS001MPI.csv row ${mpiRow.line}`,
        data,
        locate: (p) => locateInTables(p, places),
      },
    };
  }
}

/** Where a record path came from: the table file and row, and for a plain value its column. */
interface Place {
  row: string;
  column?: string;
}

/**
 * Builds one record from a patient's rows; `places` maps a record path prefix to its file and row.
 * Referral event rows join their referral by ServiceRequestId; one naming no referral of the patient
 * is a problem at its row and column.
 */
function assemble(id: string, rows: Row[]) {
  const data: Record<string, unknown> = {};
  const places = new Map<string, Place>();
  const counts = new Map<string, number>();
  const problems: { line: number; where: string; issue: FhirIssue }[] = [];
  const spec = (row: Row): TableSpec => CPA_TABLES[row.table];
  // Parent rows first, so event rows find their referral whatever order the tables came in.
  for (const row of [...rows.filter((r) => !spec(r).join), ...rows.filter((r) => spec(r).join)]) {
    const { at, many, join, value } = spec(row);
    const where = `${row.table}.csv row ${row.line}`;
    const values: Record<string, unknown> = { ...row.values };
    delete values.LocalPatientId;
    if (row.table === "MHS001MPI") {
      values.LocalPatientId = id;
      if (typeof values.OrgIDProv === "string") data.OrgIDProv = values.OrgIDProv;
      delete values.OrgIDProv;
      if (typeof values.AddressLines === "string")
        values.AddressLines = values.AddressLines ? values.AddressLines.split("|") : [];
      places.set("OrgIDProv", { row: where });
    }
    if (join) {
      const key = (row.values[join] ?? "").trim();
      const referrals = Array.isArray(data.MHS101Referral) ? (data.MHS101Referral as Record<string, unknown>[]) : [];
      const r = key
        ? referrals.findIndex((x) => typeof x[join] === "string" && (x[join] as string).trim() === key)
        : -1;
      const referral = referrals[r];
      if (!referral) {
        problems.push({
          line: row.line,
          where,
          issue: {
            severity: "error",
            code: "structure",
            diagnostics: `No MHS101Referral row of this patient has this ${join}`,
            expression: [`${where}, column ${join}`],
          },
        });
        continue;
      }
      delete values[join];
      const list = Array.isArray(referral[at]) ? (referral[at] as unknown[]) : [];
      referral[at] = list;
      const path = `MHS101Referral[${r}].${at}[${list.length}]`;
      list.push(value ? values[value] : values);
      places.set(path, value ? { row: where, column: value } : { row: where });
      continue;
    }
    const [head, tail] = at.split(".") as [string, string | undefined];
    if (tail && !isObject(data[head])) data[head] = {};
    const container = tail ? (data[head] as Record<string, unknown>) : data;
    const key = tail ?? head;
    if (many) {
      const n = counts.get(row.table) ?? 0;
      counts.set(row.table, n + 1);
      if (!Array.isArray(container[key])) container[key] = [];
      (container[key] as unknown[]).push(values);
      places.set(`${at}[${n}]`, { row: where });
    } else {
      container[key] = { ...((container[key] as Record<string, unknown>) ?? {}), ...values };
      places.set(at, { row: where });
    }
  }
  return { data, places, problems };
}

function locateInTables(path: string, places: Map<string, Place>): string {
  let best = "";
  for (const prefix of places.keys()) {
    if ((path === prefix || path.startsWith(`${prefix}.`)) && prefix.length > best.length) best = prefix;
  }
  const place = places.get(best);
  if (!best || !place) return path;
  const column = place.column ?? (path.slice(best.length + 1) || path.split(".").pop() || path);
  return `${place.row}, column ${column}`;
}
