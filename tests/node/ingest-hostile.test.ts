// Hostile ingest input, case by case (issue 8): a wrong JSON type deep in a big file, fields named like
// Object.prototype members, nesting past the limit, a resource larger than /fhir accepts, multipart tables
// sent twice or with a folder path, uploads refused before their body is read, and bodies that break off.
import { beforeAll, describe, expect, it } from "vitest";
import type { IngestReport } from "../../src/ingest/report.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

let t: TestApp;
/** A second app whose body limit (and so largest stored resource) is 20,000 bytes and upload limit 64 KiB. */
let small: TestApp;
const tokens: Record<string, string> = {};
const smallTokens: Record<string, string> = {};

const SENDERS = {
  cpa: ["RX4", "mh-trust"],
  ndtms: ["N0852", "drug-alcohol-service"],
  cin: ["201", "la-childrens-services"],
} as const;

beforeAll(async () => {
  t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()));
  small = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), {
    TFG_BODY_LIMIT_BYTES: "20000",
    TFG_INGEST_LIMIT_BYTES: "65536",
  });
  for (const [source, [org, orgType]] of Object.entries(SENDERS)) {
    const claims = { sub: "feed", org, org_type: orgType, role: "system", purpose_of_use: "direct-care" };
    tokens[source] = await t.issuer.sign(claims);
    smallTokens[source] = await small.issuer.sign(claims);
  }
});

const post = (
  app: TestApp,
  source: string,
  type: string,
  body: string | ReadableStream<Uint8Array>,
  token: string,
  query = "",
) =>
  app.app.request(
    new Request(`http://gw.test/ingest/${source}${query}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": type },
      body,
      duplex: "half",
    } as RequestInit),
  );

const patient = (id: string, mpi: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  MHS001MPI: { LocalPatientId: id, PersonBirthDate: "1985-01-01", ...mpi },
  ...extra,
});
const cpaDoc = (patients: unknown[]) => JSON.stringify({ MHS000Header: { OrgIDProvider: "RX4" }, Patients: patients });

/** A body that counts the bytes pulled from it: `chunks` chunks of `size` bytes of `fill`, optionally failing after `failAfter`. */
function countingBody(chunks: number, size: number, fill: Uint8Array, failAfter?: number) {
  const pulled = { bytes: 0, chunks: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAfter !== undefined && pulled.chunks >= failAfter) {
        controller.error(new Error("connection reset"));
        return;
      }
      if (pulled.chunks >= chunks) {
        controller.close();
        return;
      }
      const chunk = new Uint8Array(size);
      for (let i = 0; i < size; i += fill.length) chunk.set(fill.subarray(0, Math.min(fill.length, size - i)), i);
      pulled.chunks++;
      pulled.bytes += size;
      controller.enqueue(chunk);
    },
  });
  return { body, pulled };
}

describe("hostile ingest input", () => {
  it("rejects the one record with an object where text belongs, deep in a big file, and stores all the others", async () => {
    const patients = Array.from({ length: 450 }, (_, i) =>
      patient(`BIG${i}`, i === 399 ? { LocalPatientId: { toString: 1 } } : {}),
    );
    const res = await post(t, "cpa", "application/json", cpaDoc(patients), tokens.cpa as string);
    expect(res.status).toBe(200);
    const report = (await res.json()) as IngestReport;
    expect(report.counts).toMatchObject({ records: 450, created: 449, rejected: 1 });
    const rejected = report.records.filter((r) => r.outcome === "rejected");
    expect(rejected.map((r) => r.issues?.issue.map((i) => i.expression?.[0]))).toEqual([
      ["Patients[399].MHS001MPI.LocalPatientId"],
    ]);
  });

  it("counts fields named constructor, toString and __proto__ as unmapped fields, as numbers", async () => {
    const cpa = `{"MHS000Header":{"OrgIDProvider":"RX4"},"Patients":[${JSON.stringify(patient("PROTO1")).replace(
      /^\{/,
      '{"constructor":"a","toString":"b","__proto__":{"x":"c"},',
    )}]}`;
    const report = (await (await post(t, "cpa", "application/json", cpa, tokens.cpa as string)).json()) as IngestReport;
    expect(report.counts).toMatchObject({ created: 1, rejected: 0 });
    const unmapped = report.coverage.unmappedFields;
    expect(Object.hasOwn(unmapped, "constructor") && unmapped.constructor).toBe(1);
    expect(Object.hasOwn(unmapped, "toString") && unmapped.toString).toBe(1);
    expect(Object.hasOwn(unmapped, "__proto__.x") && unmapped["__proto__.x"]).toBe(1);

    const csv = `AGNCY,CLIENTID,EPISODID,DOB,REFLD,CONSENT,constructor,__proto__\nN0852,PROTO2,E1,1980-01-01,2026-01-10,Y,a,b\n`;
    const nd = (await (await post(t, "ndtms", "text/csv", csv, tokens.ndtms as string)).json()) as IngestReport;
    expect(nd.counts).toMatchObject({ created: 1, rejected: 0 });
    expect(Object.entries(nd.coverage.unmappedFields).sort()).toEqual([
      ["__proto__", 1],
      ["constructor", 1],
    ]);
  });

  it("rejects a record nested 2,000 deep (JSON) or 100,000 deep (an NDJSON line) at its place, and reads on", async () => {
    let deep: unknown = "x";
    for (let i = 0; i < 2000; i++) deep = { a: deep };
    const doc = cpaDoc([patient("DEEP1", {}, { Extra: deep }), patient("DEEP2")]);
    const json = (await (await post(t, "cpa", "application/json", doc, tokens.cpa as string)).json()) as IngestReport;
    expect(json.counts).toMatchObject({ created: 1, rejected: 1 });
    expect(json.records[0]).toMatchObject({ label: "Patients[0]", outcome: "rejected" });
    expect(json.records[0]?.issues?.issue[0]?.diagnostics).toBe("The record is nested deeper than 32 levels");

    // Outside a patient, nesting past the limit stops the file at once (a value there cannot be skipped).
    const junk = `{"Junk":${"[".repeat(400_000)}${"]".repeat(400_000)},"Patients":[]}`;
    const stopped = await post(t, "cpa", "application/json", junk, tokens.cpa as string);
    expect(stopped.status).toBe(422);
    expect(((await stopped.json()) as IngestReport).fatal?.issue[0]?.diagnostics).toBe(
      "The document is nested deeper than 32 levels",
    );

    const line = `{"OrgIDProv":"RX4","MHS001MPI":{"LocalPatientId":"DEEP3"},"X":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const good = JSON.stringify({ OrgIDProv: "RX4", ...patient("DEEP4") });
    const res = await post(t, "cpa", "application/x-ndjson", `${line}\n${good}\n`, tokens.cpa as string);
    expect(res.status).toBe(200);
    const nd = (await res.json()) as IngestReport;
    expect(nd.counts).toMatchObject({ created: 1, rejected: 1 });
    expect(nd.records[0]).toMatchObject({ label: "line 1", outcome: "rejected" });
  });

  it("stops a CIN file at a text node longer than a record may be, after the children before it (never held whole)", async () => {
    const head = `<Message><Header><Source><LEA>201</LEA></Source><CollectionDetails><Year>2026</Year><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails></Header><Children><Child><ChildIdentifiers><LAchildID>TXT1</LAchildID><PersonBirthDate>2016-05-05</PersonBirthDate><Sex>M</Sex></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics><CINdetails><CINreferralDate>2025-09-01</CINreferralDate><ReferralSource>3A</ReferralSource><ReferralNFA>0</ReferralNFA></CINdetails></Child><Child><ChildIdentifiers><LAchildID>`;
    const bytes = new TextEncoder().encode("y".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(head));
      },
      pull(controller) {
        if (sent >= 50 * 1024 * 1024) return controller.close();
        sent += bytes.length;
        controller.enqueue(bytes);
      },
    });
    const res = await post(t, "cin", "application/xml", body, tokens.cin as string);
    expect(res.status).toBe(422);
    const report = (await res.json()) as IngestReport;
    expect(report.counts).toMatchObject({ records: 1, created: 1 });
    expect(report.fatal?.issue[0]?.diagnostics).toBe("A text, comment or tag is longer than 1048576 characters");
    expect(sent).toBeLessThan(2 * 1024 * 1024);
  });

  it("bounds a stored resource by the /fhir body limit: a record producing a larger one is rejected, /fhir refuses it too", async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `${i} ${"Long Road ".repeat(30)}`);
    const doc = cpaDoc([patient("SIZE1", { AddressLines: lines }), patient("SIZE2")]);
    const res = await post(small, "cpa", "application/json", doc, smallTokens.cpa as string);
    expect(res.status).toBe(200);
    const report = (await res.json()) as IngestReport;
    expect(report.counts).toMatchObject({ created: 1, rejected: 1 });
    expect(report.records[0]?.issues?.issue[0]).toMatchObject({ code: "too-long", expression: ["Patients[0]"] });
    expect(report.records[0]?.issues?.issue[0]?.diagnostics).toMatch(
      /^Patient produced from this record is larger than 20000 bytes/,
    );
    const rest = await small.fhir("/fhir/Patient", {
      method: "POST",
      json: { resourceType: "Patient", address: [{ line: lines }] },
    });
    expect(rest.status).toBe(413);
  });

  it("refuses two multipart parts for one table (400) and reads a part whose file name carries a folder path", async () => {
    const mpi = "LocalPatientId,OrgIDProv,PersonBirthDate\nMP1,RX4,1985-01-01\n";
    const twice = new FormData();
    twice.append("a", new File([mpi], "MHS001MPI.csv"));
    twice.append("b", new File([mpi], "exports/MHS001MPI.csv"));
    const res = await t.app.request("http://gw.test/ingest/cpa", {
      method: "POST",
      headers: { Authorization: `Bearer ${tokens.cpa}` },
      body: twice,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issue: { diagnostics: string }[] }).issue[0]?.diagnostics).toBe(
      "The upload has two parts for table MHS001MPI; send each table once",
    );

    const pathy = new FormData();
    pathy.append("a", new File([mpi], "C:\\exports\\..\\MHS001MPI.csv"));
    const ok = await t.app.request("http://gw.test/ingest/cpa", {
      method: "POST",
      headers: { Authorization: `Bearer ${tokens.cpa}` },
      body: pathy,
    });
    expect(ok.status).toBe(200);
    const report = (await ok.json()) as IngestReport;
    expect(report.counts).toMatchObject({ created: 1 });
    expect(report.records[0]?.label).toBe("MHS001MPI.csv row 2");
  });

  it("answers an unauthenticated 500 MB chunked upload with 401 having read at most one chunk of it", async () => {
    const { body, pulled } = countingBody(8000, 64 * 1024, new TextEncoder().encode("AGNCY,CLIENTID\n"));
    const res = await t.app.request(
      new Request("http://gw.test/ingest/ndtms", {
        method: "POST",
        headers: { "Content-Type": "text/csv" },
        body,
        duplex: "half",
      } as RequestInit),
    );
    expect(res.status).toBe(401);
    expect(pulled.bytes).toBeLessThanOrEqual(64 * 1024);
    // The same for a valid token of the wrong role, organisation type or media type: refused unread.
    const practitioner = await t.issuer.sign({
      sub: "p",
      org: "N0852",
      org_type: "drug-alcohol-service",
      role: "practitioner",
      purpose_of_use: "direct-care",
    });
    for (const [token, type, status] of [
      [practitioner, "text/csv", 403],
      [tokens.cpa, "text/csv", 403],
      [tokens.ndtms, "application/json", 415],
    ] as const) {
      const other = countingBody(8000, 64 * 1024, new TextEncoder().encode("x"));
      expect((await post(t, "ndtms", type, other.body, token as string)).status).toBe(status);
      expect(other.pulled.bytes).toBeLessThanOrEqual(64 * 1024);
    }
  });

  it("stops reading an authenticated upload at the limit (413), having stored the rows before it", async () => {
    const header = "AGNCY,CLIENTID,EPISODID,DOB,REFLD,CONSENT\n";
    let n = 0;
    const rows = () => {
      let s = "";
      while (s.length < 8_000) s += `N0852,LIM${n++},E1,1980-01-01,2026-01-10,Y\n`;
      return new TextEncoder().encode(s);
    };
    const pulled = { bytes: 0 };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(header));
      },
      pull(controller) {
        if (pulled.bytes > 500 * 1024 * 1024) return controller.close();
        const chunk = rows();
        pulled.bytes += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await post(small, "ndtms", "text/csv", body, smallTokens.ndtms as string, "?records=rejected");
    expect(res.status).toBe(413);
    const report = (await res.json()) as IngestReport;
    expect(report.fatal?.issue[0]).toMatchObject({ code: "too-long" });
    expect(report.counts.created).toBeGreaterThan(1000);
    expect(report.counts.rejected).toBe(0);
    expect(pulled.bytes).toBeLessThan(65536 + 2 * 8_100);
  });

  it("answers 400 with the partial report when the body breaks off, stores the rows read before it, never a 500", async () => {
    const rows = new TextEncoder().encode(
      `AGNCY,CLIENTID,EPISODID,DOB,REFLD,CONSENT\n${Array.from({ length: 50 }, (_, i) => `N0852,CUT${i},E1,1980-01-01,2026-01-10,Y\n`).join("")}`,
    );
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return controller.error(new Error("socket hang up"));
        sent = true;
        controller.enqueue(rows);
      },
    });
    const res = await post(t, "ndtms", "text/csv", body, tokens.ndtms as string);
    expect(res.status).toBe(400);
    const report = (await res.json()) as IngestReport;
    expect(report.fatal?.issue[0]?.diagnostics).toMatch(/could not be read to the end/);
    expect(report.counts.created).toBe(50);
  });
});
