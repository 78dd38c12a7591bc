/**
 * Reads a local authority's children's case records shaped like the Standard Safeguarding Dataset
 * (docs/sources/ssd.md): the SSD tables plus the project's `tfg_extract` (the LA code) and
 * `tfg_related_people` tables, as CSV files or as one JSON document `{ "<table>": [rows…] }`.
 * Rows are joined on the child's person id into one record per `ssd_person` row.
 */
import type { FhirIssue } from "../../fhir/errors.js";
import type { ByteSource } from "../parsers/csv.js";
import { decoded, describeJsonError } from "../parsers/text.js";
import { csvTableName, tableRows } from "./csv-tables.js";
import type { SourceEvent } from "./events.js";

/**
 * The tables and the column naming the person each row belongs to. `ssd_professionals` rows are not a
 * person's: each is joined onto the involvements that name it (`invo_professional_id`). `ssd_mother`
 * rows belong to the mother (`moth_person_id`); the child they name is a reference.
 */
export const SSD_TABLES = {
  tfg_extract: { person: undefined },
  ssd_person: { person: "pers_person_id" },
  ssd_address: { person: "addr_person_id" },
  ssd_family: { person: "fami_person_id" },
  ssd_mother: { person: "moth_person_id" },
  ssd_involvements: { person: "invo_person_id" },
  ssd_professionals: { person: undefined },
  ssd_cin_episodes: { person: "cine_person_id" },
  ssd_cp_plans: { person: "cppl_person_id" },
  ssd_cla_episodes: { person: "clae_person_id" },
  ssd_disability: { person: "disa_person_id" },
  tfg_related_people: { person: "relp_person_id" },
} as const satisfies Record<string, { person: string | undefined }>;

/** An SSD table name. */
export type SsdTable = keyof typeof SSD_TABLES;

/** Columns holding a JSON object as text (SSD's `addr_address_json`, and the same shape in the extension table). */
const JSON_COLUMNS = new Set(["addr_address_json", "relp_address_json"]);

/** One row as read: its table, where it is (for messages), and its non-empty values. */
export interface SsdRow {
  table: SsdTable;
  /** `ssd_address.csv row 3` or `ssd_address[2]`. */
  where: string;
  /** How a column of this row is named in messages. */
  column: (name: string) => string;
  line: number;
  values: Record<string, string>;
}

const fatal = (diagnostics: string, where: string): SourceEvent => ({
  kind: "fatal",
  issue: { severity: "fatal", code: "structure", diagnostics, expression: [where] },
});
const problem = (diagnostics: string, where: string): FhirIssue => ({
  severity: "error",
  code: "structure",
  diagnostics,
  expression: [where],
});
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const tableNames = () => Object.keys(SSD_TABLES).join(", ");

/** Reads the SSD CSV tables (name → CSV text or bytes; names with or without `.csv`). */
export async function* ssdCsvRecords(tables: Record<string, ByteSource>): AsyncGenerator<SourceEvent> {
  const byTable = new Map<SsdTable, ByteSource>();
  for (const [name, src] of Object.entries(tables)) {
    const base = csvTableName(name);
    if (!Object.hasOwn(SSD_TABLES, base)) {
      yield fatal(`Unknown SSD table '${base.slice(0, 40)}': expected ${tableNames()}`, base.slice(0, 40));
      return;
    }
    byTable.set(base as SsdTable, src);
  }
  const rows: SsdRow[] = [];
  const broken: SourceEvent[] = [];
  // tfg_extract first: it names the owner before any record.
  const order = [...byTable.keys()].sort((a, b) => Number(b === "tfg_extract") - Number(a === "tfg_extract"));
  for (const table of order) {
    for await (const e of tableRows(table, byTable.get(table) as ByteSource, SSD_TABLES[table].person)) {
      if (e.kind === "fatal") {
        yield e;
        return;
      }
      if (e.kind === "broken") {
        broken.push(e);
        continue;
      }
      const where = e.where;
      const values: Record<string, string> = {};
      for (const [k, v] of Object.entries(e.record)) if (v !== "") values[k] = v;
      rows.push({ table, where, column: (c) => `${where}, column ${c}`, line: e.line, values });
    }
  }
  yield* assembleRecords(rows, broken);
}

/** Reads the JSON form: one document `{ "tfg_extract": [{ "la_code": … }], "ssd_person": [ … ], … }`. */
export async function* ssdJsonRecords(source: ByteSource): AsyncGenerator<SourceEvent> {
  // The rows of every table are joined per person, so the document is read whole (bounded by the upload limit).
  let text = "";
  for await (const piece of decoded(source)) text += piece;
  const bad = text.indexOf("\uFFFD");
  if (bad >= 0) {
    const before = text.slice(0, bad).split(/\r\n|\r|\n/);
    yield fatal(
      `The file is not valid UTF-8 (or holds U+FFFD) at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`,
      "$",
    );
    return;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    yield fatal(`The file is ${describeJsonError(err)}`, "$");
    return;
  }
  if (!isObject(doc)) {
    yield fatal("An SSD JSON document is an object whose members are the tables (arrays of rows)", "$");
    return;
  }
  const rows: SsdRow[] = [];
  const broken: SourceEvent[] = [];
  const names = Object.keys(doc).sort((a, b) => Number(b === "tfg_extract") - Number(a === "tfg_extract"));
  for (const name of names) {
    if (!Object.hasOwn(SSD_TABLES, name)) {
      yield fatal(`Unknown SSD table '${name.slice(0, 40)}': expected ${tableNames()}`, name.slice(0, 40));
      return;
    }
    const list = doc[name];
    if (!Array.isArray(list)) {
      yield fatal(`The ${name} table must be an array of rows`, name);
      return;
    }
    const table = name as SsdTable;
    for (const [i, row] of list.entries()) {
      const where = `${table}[${i}]`;
      if (!isObject(row)) {
        broken.push({
          kind: "broken",
          index: i + 1,
          label: where,
          issues: [problem("A row must be an object", where)],
        });
        continue;
      }
      const values: Record<string, string> = {};
      const bad: FhirIssue[] = [];
      for (const [k, v] of Object.entries(row)) {
        if (v === null || v === "") continue;
        if (typeof v === "string") values[k] = v;
        else if (typeof v === "number" && Number.isFinite(v)) values[k] = String(v);
        else if (JSON_COLUMNS.has(k) && isObject(v)) values[k] = JSON.stringify(v);
        else bad.push(problem(`${k} must be a string, a number or null`, `${where}.${k}`));
      }
      if (bad.length) {
        broken.push({ kind: "broken", index: i + 1, label: where, issues: bad });
        continue;
      }
      rows.push({ table, where, column: (c) => `${where}.${c}`, line: i + 1, values });
    }
  }
  yield* assembleRecords(rows, broken);
}

/** Where a record path came from: the row, for messages. */
type Places = Map<string, SsdRow>;

/**
 * Joins rows into one record per `ssd_person` row: `la_code` from `tfg_extract`, `ssd_person` as an
 * object, every other person table as a list of rows, each involvement with its professional's columns.
 * A row naming no person of the extract, or a second `ssd_person` row for one id, is rejected at its row.
 */
export function* assembleRecords(rows: SsdRow[], broken: SourceEvent[]): Generator<SourceEvent> {
  const extract = rows.filter((r) => r.table === "tfg_extract");
  if (extract.length !== 1 || !extract[0]?.values.la_code) {
    yield fatal(
      "The tfg_extract table is required, with exactly one row naming the local authority in la_code",
      extract.length > 1 ? (extract[1]?.where ?? "tfg_extract") : "tfg_extract",
    );
    return;
  }
  const head = extract[0];
  const laCode = head.values.la_code as string;
  yield { kind: "owner", owner: laCode, where: head.column("la_code") };
  yield* broken;

  const professionals = new Map<string, SsdRow>();
  for (const r of rows.filter((x) => x.table === "ssd_professionals")) {
    const id = r.values.prof_professional_id?.trim();
    if (!id) {
      yield rowProblem(r, "A professional row needs prof_professional_id", "prof_professional_id");
      continue;
    }
    if (professionals.has(id)) {
      yield rowProblem(r, "More than one ssd_professionals row has this prof_professional_id", "prof_professional_id");
      continue;
    }
    professionals.set(id, r);
  }

  const people = new Map<string, { person?: SsdRow; rows: SsdRow[]; duplicate?: SsdRow }>();
  const order: string[] = [];
  for (const r of rows) {
    const column = SSD_TABLES[r.table].person;
    if (!column) continue;
    const id = r.values[column]?.trim() ?? "";
    let entry = people.get(id);
    if (!entry) {
      entry = { rows: [] };
      people.set(id, entry);
    }
    if (r.table === "ssd_person") {
      if (entry.person) entry.duplicate ??= r;
      else {
        entry.person = r;
        order.push(id);
      }
    } else entry.rows.push(r);
  }
  for (const [id, entry] of people) {
    if (entry.person) continue;
    for (const r of entry.rows) {
      const column = SSD_TABLES[r.table].person as string;
      yield rowProblem(
        r,
        id === "" ? `A ${r.table} row needs ${column}` : `No ssd_person row has this ${column}`,
        column,
      );
    }
  }
  for (const id of order) {
    const entry = people.get(id) as { person: SsdRow; rows: SsdRow[]; duplicate?: SsdRow };
    if (entry.duplicate) {
      yield rowProblem(entry.duplicate, "More than one ssd_person row has this pers_person_id", "pers_person_id");
      continue;
    }
    const { data, places, issues } = recordOf(laCode, head, entry.person, entry.rows, professionals);
    if (issues.length) {
      yield { kind: "broken", index: entry.person.line, label: entry.person.where, issues };
      continue;
    }
    yield {
      kind: "record",
      record: {
        index: entry.person.line,
        label: entry.person.where,
        data,
        locate: (p) => locate(p, places),
      },
    };
  }
}

function rowProblem(r: SsdRow, diagnostics: string, column: string): SourceEvent {
  return { kind: "broken", index: r.line, label: r.where, issues: [problem(diagnostics, r.column(column))] };
}

/** The record of one person: plain values, JSON columns parsed, professionals joined onto involvements. */
function recordOf(laCode: string, head: SsdRow, person: SsdRow, rows: SsdRow[], professionals: Map<string, SsdRow>) {
  const places: Places = new Map([
    ["la_code", head],
    ["ssd_person", person],
  ]);
  const issues: FhirIssue[] = [];
  const data: Record<string, unknown> = { la_code: laCode, ssd_person: { ...person.values } };
  for (const r of rows) {
    if (!Array.isArray(data[r.table])) data[r.table] = [];
    const list = data[r.table] as Record<string, unknown>[];
    const values: Record<string, unknown> = { ...r.values };
    // The join column is the record's own person id (kept once, in ssd_person), as CPA drops LocalPatientId.
    delete values[SSD_TABLES[r.table].person as string];
    for (const c of JSON_COLUMNS) {
      const text = r.values[c];
      if (text === undefined) continue;
      const parsed = parseJsonObject(text);
      if (!parsed) {
        issues.push(problem(`${c} must be a JSON object of strings`, r.column(c)));
        continue;
      }
      values[c] = parsed;
    }
    if (r.table === "ssd_involvements") {
      const prof = professionals.get(r.values.invo_professional_id?.trim() ?? "");
      if (prof) {
        for (const [k, v] of Object.entries(prof.values)) if (k !== "prof_professional_id") values[k] = v;
        places.set(`${r.table}[${list.length}].prof`, prof);
      }
    }
    places.set(`${r.table}[${list.length}]`, r);
    list.push(values);
  }
  return { data, places, issues };
}

/** A JSON object whose values are strings (empty ones dropped), or undefined. */
function parseJsonObject(text: string): Record<string, string> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || x === "") continue;
    if (typeof x !== "string" && typeof x !== "number") return undefined;
    out[k] = String(x);
  }
  return out;
}

/** `ssd_address[1].addr_address_postcode` → `ssd_address.csv row 4, column addr_address_postcode`. */
function locate(path: string, places: Places): string {
  const head = path.split(".")[0] ?? path;
  const column = path.split(".").slice(1).join(".") || head;
  let row = places.get(head);
  if (column.startsWith("prof_")) row = places.get(`${head}.prof`) ?? row;
  if (!row) {
    // A bare column (a ConceptMap miss inside a forEach names the field only): the row that holds it.
    const holders = [...new Set(places.values())].filter((r) => Object.hasOwn(r.values, head));
    if (holders.length === 1) return (holders[0] as SsdRow).column(head);
    if (holders.length > 1) return `${holders.map((r) => r.where).join(" or ")}, column ${head}`;
    return path;
  }
  return (
    row.column(column.split(".")[0] ?? column) +
    (column.includes(".") ? ` (${column.split(".").slice(1).join(".")})` : "")
  );
}
