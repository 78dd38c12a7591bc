// Property test over POST /ingest for every source and both modes: a file of good records with bad ones
// mixed in (wrong JSON types, broken CSV quoting, mixed line endings, invalid UTF-8, nesting past the
// limit, values a check refuses) stores every good record and rejects each bad one at its own location,
// never a 500; in all-or-nothing mode a bad record stores nothing and every bad record is still located.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { IngestReport, RecordResult } from "../../src/ingest/report.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

let t: TestApp;
const tokens: Record<string, string> = {};

/** A file is built from segments: text, or raw bytes (an invalid UTF-8 byte). */
type Segment = string | Uint8Array;
const INVALID = new Uint8Array([0xff]);

/** One record of a generated file: good (stored) or bad (rejected where `where` says). */
interface Item {
  good: boolean;
  segments: Segment[];
}

/** How one source lays out a file and where it says each record is. */
interface SourceKind {
  route: string;
  orgType: string;
  org: string;
  contentType: string;
  /** Record kinds to mix in, by name, each making the segments of a record with a unique id. */
  bad: Record<string, (id: string) => Segment[]>;
  good: (id: string) => Segment[];
  /** The file from its records (position i, 0-based) and the line ending before each. */
  file: (items: Segment[][], eols: string[]) => Segment[];
  /** The report label of the record at position i. */
  label: (i: number) => string;
  /** True when an issue expression locates the record at position i. */
  locates: (expression: string, i: number) => boolean;
  /** Send as a multipart table (CPA CSV). */
  multipart?: string;
}

let seq = 0;
const nextId = () => `H${++seq}`;

const NDTMS_HEADER =
  "FINITIAL,SINITIAL,DOB,SEX,REFLD,AGNCY,CLIENTID,EPISODID,CONSENT,PRNTSTAT,CHILDWTH,PREGNANT,NHSNUM";
const ndtmsRow = (id: string, first = "E", dob = "1979-01-01") =>
  `${first},F,${dob},1,2026-01-10,N0852,${id},E1,Y,,NA,NA,NA`;
const lineFile = (header: string) => (items: Segment[][], eols: string[]) => {
  const out: Segment[] = [header];
  items.forEach((segs, i) => {
    out.push(eols[i] ?? "\n", ...segs);
  });
  out.push("\r\n");
  return out;
};
const rowLocates = (prefix: string) => (e: string, i: number) =>
  e === `${prefix}row ${i + 2}` || e.startsWith(`${prefix}row ${i + 2},`);

/** CSV bad rows shared by NDTMS and the CPA MHS001MPI table: quoting, column count, UTF-8, a refused value. */
const csvBad = (row: (id: string, first?: string, dob?: string) => string) => ({
  strayQuote: (id: string) => [row(id, 'E"x')],
  textAfterQuote: (id: string) => [row(id, '"E"x')],
  unclosedQuote: (id: string) => [row(id, '"E')],
  columns: (id: string) => [`${row(id)},extra`],
  invalidUtf8: (id: string) => [INVALID, row(id, "")],
  badDate: (id: string) => [row(id, "E", "1980-02-30")],
});

const CIN_HEAD = `<?xml version="1.0"?><Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2026</Year><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails><Source><SourceLevel>L</SourceLevel><LEA>201</LEA><SoftwareCode>T</SoftwareCode><Release>1</Release><SerialNo>001</SerialNo><DateTime>2026-04-02T10:00:00</DateTime></Source></Header><Children>`;
const cinChild = (id: string, birth: Segment[] = ["2016-05-05"], ethnicity: Segment[] = ["WBRI"], extra = "") => [
  `<Child><ChildIdentifiers><LAchildID>${id}</LAchildID><PersonBirthDate>`,
  ...birth,
  `</PersonBirthDate><Sex>M</Sex></ChildIdentifiers><ChildCharacteristics><Ethnicity>`,
  ...ethnicity,
  `</Ethnicity>${extra}</ChildCharacteristics><CINdetails><CINreferralDate>2025-09-01</CINreferralDate><ReferralSource>3A</ReferralSource><ReferralNFA>0</ReferralNFA></CINdetails></Child>`,
];

const cpaPatient = (id: string, extra: Record<string, unknown> = {}, mpi: Record<string, unknown> = {}) => ({
  MHS001MPI: { LocalPatientId: id, PersonBirthDate: "1985-01-01", ...mpi },
  ...extra,
});
const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { x: v };
  return v;
};
/** JSON text of a patient with one raw invalid byte inside a string value. */
const withInvalidByte = (patient: unknown): Segment[] => {
  const [before, after] = JSON.stringify(patient).split("MARKBYTE") as [string, string];
  return [before, INVALID, after];
};
const jsonBad = (orgProv: Record<string, unknown>) => ({
  objectForText: (id: string) => [JSON.stringify(cpaPatient(id, orgProv, { LocalPatientId: { toString: 1 } }))],
  listForText: (id: string) => [JSON.stringify(cpaPatient(id, orgProv, { PersonBirthDate: ["1985-01-01"] }))],
  deep: (id: string) => [JSON.stringify(cpaPatient(id, { ...orgProv, Extra: nested(2000) }))],
  notAnObject: () => [JSON.stringify(["not", "a", "patient"])],
  invalidUtf8: (id: string) => withInvalidByte(cpaPatient(id, orgProv, { PersonGivenName: "AMARKBYTEB" })),
  badDate: (id: string) => [JSON.stringify(cpaPatient(id, orgProv, { PersonBirthDate: "1985-02-30" }))],
});
/** Good records sometimes carry fields named like Object.prototype members (reported as unmapped, never a crash). */
const protoNames = (id: string) => (Number(id.slice(1)) % 2 === 0 ? { constructor: "c", toString: "t" } : {});

const SOURCES: Record<string, SourceKind> = {
  ndtms: {
    route: "ndtms",
    orgType: "drug-alcohol-service",
    org: "N0852",
    contentType: "text/csv",
    good: (id) => [ndtmsRow(id)],
    bad: csvBad(ndtmsRow),
    file: lineFile(NDTMS_HEADER),
    label: (i) => `row ${i + 2}`,
    locates: rowLocates(""),
  },
  "cpa-csv": {
    route: "cpa",
    orgType: "mh-trust",
    org: "RX4",
    contentType: "multipart/form-data",
    multipart: "MHS001MPI.csv",
    good: (id) => [`${id},RX4,A,1985-01-01`],
    bad: csvBad((id, first = "A", dob = "1985-01-01") => `${id},RX4,${first},${dob}`),
    file: lineFile("LocalPatientId,OrgIDProv,PersonGivenName,PersonBirthDate"),
    label: (i) => `MHS001MPI.csv row ${i + 2}`,
    locates: rowLocates("MHS001MPI.csv "),
  },
  "cpa-json": {
    route: "cpa",
    orgType: "mh-trust",
    org: "RX4",
    contentType: "application/json",
    good: (id) => [JSON.stringify(cpaPatient(id, protoNames(id)))],
    bad: jsonBad({}),
    file: (items) => {
      const out: Segment[] = ['{"MHS000Header":{"OrgIDProvider":"RX4"},"Patients":['];
      items.forEach((segs, i) => {
        if (i > 0) out.push(",\n");
        out.push(...segs);
      });
      out.push("]}");
      return out;
    },
    label: (i) => `Patients[${i}]`,
    locates: (e, i) => e === `Patients[${i}]` || e.startsWith(`Patients[${i}].`),
  },
  "cpa-ndjson": {
    route: "cpa",
    orgType: "mh-trust",
    org: "RX4",
    contentType: "application/x-ndjson",
    good: (id) => [JSON.stringify(cpaPatient(id, { OrgIDProv: "RX4", ...protoNames(id) }))],
    bad: { ...jsonBad({ OrgIDProv: "RX4" }), brokenJson: () => ['{"MHS001MPI":{"LocalPatientId":'] },
    file: (items, eols) => items.flatMap((segs, i) => [...segs, eols[i] ?? "\n"]),
    label: (i) => `line ${i + 1}`,
    locates: (e, i) => e === `line ${i + 1}` || e.startsWith(`line ${i + 1}:`),
  },
  cin: {
    route: "cin",
    orgType: "la-childrens-services",
    org: "201",
    contentType: "application/xml",
    good: (id) => cinChild(id, undefined, undefined, Number(id.slice(1)) % 2 === 0 ? "<__proto__>p</__proto__>" : ""),
    bad: {
      elementForText: (id) => cinChild(id, ["<Year>2016</Year>"]),
      deep: (id) => cinChild(id, undefined, undefined, `${"<a>".repeat(40)}x${"</a>".repeat(40)}`),
      invalidUtf8: (id) => cinChild(id, undefined, ["WB", INVALID, "RI"]),
      badDate: (id) => cinChild(id, ["2016-02-30"]),
    },
    file: (items) => [CIN_HEAD, ...items.flat(), "</Children></Message>"],
    label: (i) => `Child[${i + 1}]`,
    locates: (e, i) =>
      e === `Child[${i + 1}]` ||
      e === `/Message/Children/Child[${i + 1}]` ||
      e.startsWith(`/Message/Children/Child[${i + 1}]/`),
  },
};

beforeAll(async () => {
  t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()));
  for (const s of Object.values(SOURCES)) {
    tokens[s.orgType] = await t.issuer.sign({
      sub: "feed",
      org: s.org,
      org_type: s.orgType,
      role: "system",
      purpose_of_use: "direct-care",
    });
  }
});

const bytesOf = (segments: Segment[]): Uint8Array => {
  const encoder = new TextEncoder();
  const parts = segments.map((s) => (typeof s === "string" ? encoder.encode(s) : s));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

async function send(
  source: SourceKind,
  body: Uint8Array,
  mode: string,
): Promise<{ status: number; report: IngestReport }> {
  const headers: Record<string, string> = { Authorization: `Bearer ${tokens[source.orgType]}` };
  let payload: FormData | Uint8Array;
  if (source.multipart) {
    const form = new FormData();
    form.append("table", new File([body], source.multipart, { type: "text/csv" }));
    payload = form;
  } else {
    headers["Content-Type"] = source.contentType;
    payload = body;
  }
  const res = await t.app.request(
    `http://gw.test/ingest/${source.route}${mode === "all-or-nothing" ? "?mode=all-or-nothing" : ""}`,
    {
      method: "POST",
      headers,
      body: payload,
    },
  );
  const text = await res.text();
  return { status: res.status, report: JSON.parse(text) as IngestReport };
}

const plan = (source: SourceKind) =>
  fc.record({
    kinds: fc.array(fc.oneof(fc.constant("good"), fc.constantFrom(...Object.keys(source.bad))), {
      minLength: 1,
      maxLength: 10,
    }),
    eols: fc.array(fc.constantFrom("\n", "\r\n", "\r"), { minLength: 10, maxLength: 10 }),
  });

const locatedIn = (source: SourceKind, result: RecordResult | undefined, i: number) =>
  (result?.issues?.issue ?? []).some((issue) => (issue.expression ?? []).some((e) => source.locates(e, i)));

describe.each(Object.entries(SOURCES))("POST /ingest with good and bad %s records mixed", (_name, source) => {
  it("per record: stores every good record and rejects each bad one at its location, never a 500", async () => {
    await fc.assert(
      fc.asyncProperty(plan(source), async ({ kinds, eols }) => {
        const items = kinds.map((k) => {
          const id = nextId();
          return {
            good: k === "good",
            segments: k === "good" ? source.good(id) : (source.bad[k] as (id: string) => Segment[])(id),
          } satisfies Item;
        });
        const { status, report } = await send(
          source,
          bytesOf(
            source.file(
              items.map((i) => i.segments),
              eols,
            ),
          ),
          "per-record",
        );
        expect(status, JSON.stringify(report)).toBe(200);
        expect(report.fatal).toBeUndefined();
        const goods = items.filter((i) => i.good).length;
        expect(report.counts).toMatchObject({ records: items.length, created: goods, rejected: items.length - goods });
        items.forEach((item, i) => {
          const result = report.records.find((r) => r.label === source.label(i));
          if (item.good) expect(result?.outcome, source.label(i)).toBe("created");
          else {
            expect(result?.outcome, source.label(i)).toBe("rejected");
            expect(locatedIn(source, result, i), JSON.stringify(result?.issues)).toBe(true);
          }
        });
      }),
      { numRuns: 25 },
    );
  });

  it("all or nothing: a bad record stores nothing, and every bad record is located", async () => {
    await fc.assert(
      fc.asyncProperty(plan(source), async ({ kinds, eols }) => {
        const items = kinds.map((k) => {
          const id = nextId();
          return {
            good: k === "good",
            segments: k === "good" ? source.good(id) : (source.bad[k] as (id: string) => Segment[])(id),
          } satisfies Item;
        });
        const { status, report } = await send(
          source,
          bytesOf(
            source.file(
              items.map((i) => i.segments),
              eols,
            ),
          ),
          "all-or-nothing",
        );
        expect(status, JSON.stringify(report)).toBe(200);
        const goods = items.filter((i) => i.good);
        const anyBad = goods.length < items.length;
        expect(report.counts.resourcesWritten > 0).toBe(!anyBad);
        items.forEach((item, i) => {
          const result = report.records.find((r) => r.label === source.label(i));
          expect(result?.outcome, source.label(i)).toBe(anyBad ? "rejected" : "created");
          if (!item.good) expect(locatedIn(source, result, i), JSON.stringify(result?.issues)).toBe(true);
        });
        if (anyBad && goods.length > 0) {
          // Nothing was stored: the good records alone, sent again, are all new.
          const again = await send(
            source,
            bytesOf(
              source.file(
                goods.map((g) => g.segments),
                eols,
              ),
            ),
            "per-record",
          );
          expect(again.report.counts).toMatchObject({ created: goods.length, rejected: 0 });
        }
      }),
      { numRuns: 20 },
    );
  });
});
