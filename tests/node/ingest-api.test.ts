// POST /ingest/{source} over HTTP on a real SQLite store: per-record results, idempotent re-sends, all-or-nothing, errors.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { IngestReport } from "../../src/ingest/report.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { toCpaCsvTables } from "../support/cpa-csv.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

let t: TestApp;
let drugService: string;
const golden = readFileSync("tests/golden/ndtms/input.csv", "utf8");

beforeAll(async () => {
  t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()));
  drugService = await t.issuer.sign({
    sub: "feed",
    org: "N0852",
    org_type: "drug-alcohol-service",
    role: "system",
    purpose_of_use: "direct-care",
  });
});

/** Request options that send `token` instead of the default one. */
const as = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/** A token of the drug service whose agency code is `org`. */
const agencyToken = (org: string) =>
  t.issuer.sign({ sub: "feed", org, org_type: "drug-alcohol-service", role: "system", purpose_of_use: "direct-care" });

const post = (body: string, query = "", token = drugService, type = "text/csv") =>
  t.app.request(`http://gw.test/ingest/ndtms${query}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": type },
    body,
  });

describe("POST /ingest/ndtms", () => {
  it("stores the good rows, rejects the bad ones precisely, and is a no-op when re-sent", async () => {
    const res = await post(golden);
    expect(res.status).toBe(200);
    const report = (await res.json()) as IngestReport;
    expect(report.counts).toMatchObject({ records: 5, created: 2, rejected: 3 });
    const rejected = report.records.filter((r) => r.outcome === "rejected");
    expect(rejected.map((r) => r.issues?.issue[0]?.expression?.[0])).toEqual([
      "row 4, column DOB",
      "row 5, column NHSNUM",
      "row 6, column ETHNIC",
    ]);
    expect(report.coverage.unmappedFields).toEqual({ LOCALNOTE: 1 });

    const again = (await (await post(golden)).json()) as IngestReport;
    expect(again.counts).toMatchObject({ created: 0, updated: 0, unchanged: 2, rejected: 3, resourcesWritten: 0 });

    const changed = golden.replace("C101,E7,N,ZZ99 3AB,13", "C101,E7,N,ZZ99 3AB,14");
    const third = (await (await post(changed)).json()) as IngestReport;
    expect(third.counts).toMatchObject({ updated: 1, unchanged: 1 });
    const episode = third.records.find((r) => r.key === "N0852/C101/E7");
    const obsRef = episode?.resources?.find((r) => r.startsWith("Observation/")) as string;
    // Read as the drug service: the record's owner (the sharing protocol shows another organisation nothing).
    const history = (await (await t.fhir(`/fhir/${obsRef}/_history`, as(drugService))).json()) as { total: number };
    expect(history.total).toBe(2);
  });

  it("lists only rejected records with records=rejected, counts still complete; refuses another value", async () => {
    const csv = golden.replace(/C10(\d)/g, "R10$1"); // new client ids: the good rows are created
    const res = await post(csv, "?records=rejected");
    expect(res.status).toBe(200);
    const report = (await res.json()) as IngestReport;
    expect(report.counts).toMatchObject({ records: 5, created: 2, rejected: 3 });
    expect(report.records.map((r) => r.outcome)).toEqual(["rejected", "rejected", "rejected"]);
    const bad = await post(csv, "?records=some");
    expect(bad.status).toBe(400);
  });

  it("stores nothing in all-or-nothing mode when any row is bad", async () => {
    const csv = golden.replaceAll("N0852", "N0999");
    const report = (await (await post(csv, "?mode=all-or-nothing", await agencyToken("N0999"))).json()) as IngestReport;
    expect(report.counts).toMatchObject({ created: 0, rejected: 5 });
    // Searched as N0999 itself: had anything been stored, its owner would see it.
    const found = (await (
      await t.fhir("/fhir/EpisodeOfCare?identifier=E7", as(await agencyToken("N0999")))
    ).json()) as {
      total: number;
      entry?: { resource: { identifier: { system: string }[] } }[];
    };
    expect(found.total).toBe(0);
    expect((found.entry ?? []).some((e) => e.resource.identifier[0]?.system.endsWith("N0999"))).toBe(false);
  });

  it("stores everything in all-or-nothing mode when every row is good", async () => {
    const good = golden
      .split("\n")
      .filter((l, i) => i === 0 || l.includes("C100") || l.includes("C101"))
      .join("\n")
      .replaceAll("N0852", "N0777");
    const report = (await (
      await post(good, "?mode=all-or-nothing", await agencyToken("N0777"))
    ).json()) as IngestReport;
    expect(report.counts).toMatchObject({ created: 2, rejected: 0 });
  });

  it("rejects a last row whose quote never closes at its row, and stores the rows before it", async () => {
    const broken = `${golden.split("\n").slice(0, 3).join("\n")}\n"unterminated,`;
    const res = await post(broken.replaceAll("N0852", "N0555"), "", await agencyToken("N0555"));
    expect(res.status).toBe(200);
    const report = (await res.json()) as IngestReport;
    expect(report.fatal).toBeUndefined();
    const rejected = report.records.filter((r) => r.outcome === "rejected");
    expect(rejected.map((r) => [r.label, r.issues?.issue[0]?.diagnostics])).toEqual([
      ["row 4", "A quoted field never closes"],
    ]);
    expect(report.counts.created).toBe(2);
  });

  it("refuses a file without the NDTMS key columns, the wrong media type and the wrong sender", async () => {
    const res = await post("A,B\n1,2\n");
    expect(res.status).toBe(422);
    expect(((await res.json()) as IngestReport).fatal?.issue[0]?.diagnostics).toMatch(/AGNCY, CLIENTID/);
    expect((await post(golden, "", drugService, "application/json")).status).toBe(415);
    expect((await post(golden, "", t.token)).status).toBe(403);
    expect((await t.app.request("http://gw.test/ingest/ndtms", { method: "POST", body: golden })).status).toBe(401);
    expect((await post(golden, "?mode=sometimes")).status).toBe(400);
  });
});

describe("POST /ingest/cpa and /ingest/cin", () => {
  const send = async (source: string, type: string, body: string | FormData, orgType: string, org: string) => {
    const token = await t.issuer.sign({
      sub: "feed",
      org,
      org_type: orgType,
      role: "system",
      purpose_of_use: "direct-care",
    });
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (type) headers["Content-Type"] = type;
    return t.app.request(`http://gw.test/ingest/${source}`, { method: "POST", headers, body });
  };

  it("ingests a CPA JSON document and stores the parental status", async () => {
    const res = await send(
      "cpa",
      "application/json",
      readFileSync("tests/golden/cpa/input.json", "utf8"),
      "mh-trust",
      "RX4",
    );
    expect(res.status).toBe(200);
    const report = (await res.json()) as IngestReport;
    expect(report.counts).toMatchObject({ records: 5, created: 3, rejected: 2 });
    expect(report.records.find((r) => r.outcome === "rejected" && r.key)?.issues?.issue[0]?.expression).toEqual([
      "Patients[2].MHS001MPI.NHSNumber",
    ]);
    const statuses = (await (await t.fhir("/fhir/Observation?_count=100")).json()) as {
      entry: {
        resource: { code: { coding: { code: string }[] }; valueCodeableConcept?: { coding: { code: string }[] } };
      }[];
    };
    const codes = statuses.entry
      .filter((e) => e.resource.code.coding[0]?.code === "parental-status")
      .map((e) => e.resource.valueCodeableConcept?.coding[0]?.code);
    expect(codes).toEqual(expect.arrayContaining(["children-in-household", "not-recorded", "declined"]));
  });

  it("ingests CPA CSV tables sent as multipart/form-data", async () => {
    const form = new FormData();
    const tables = toCpaCsvTables([
      {
        OrgIDProv: "RXE",
        MHS001MPI: { LocalPatientId: "Q1", PersonBirthDate: "1975-05-05" },
        MHS701CPACareEpisode: [{ CPAEpisodeId: "E1", StartDateCPA: "2026-01-01" }],
      },
    ]);
    for (const [name, csv] of Object.entries(tables))
      form.append(name.replace(".csv", ""), new Blob([csv], { type: "text/csv" }), name);
    const res = await send("cpa", "", form, "mh-trust", "RXE");
    expect(res.status).toBe(200);
    expect(((await res.json()) as IngestReport).counts).toMatchObject({ created: 1, rejected: 0 });
  });

  it("ingests a CIN census XML file", async () => {
    const res = await send(
      "cin",
      "application/xml",
      readFileSync("tests/golden/cin/input-2026.xml", "utf8"),
      "la-childrens-services",
      "201",
    );
    expect(res.status).toBe(200);
    const report = (await res.json()) as IngestReport;
    expect(report.counts).toMatchObject({ records: 4, created: 3, rejected: 1 });
    expect(report.records.find((r) => r.outcome === "rejected")?.issues?.issue[0]?.expression).toEqual([
      "/Message/Children/Child[3]/CINdetails[1]/Assessments[1]/FactorsIdentifiedAtAssessment/AssessmentFactors[1]",
    ]);
    const la = await t.issuer.sign({
      sub: "worker",
      org: "201",
      org_type: "la-childrens-services",
      role: "practitioner",
      purpose_of_use: "direct-care",
    });
    const plans = (await (await t.fhir("/fhir/CarePlan", as(la))).json()) as { total: number };
    expect(plans.total).toBe(1);
    const again = (await (
      await send(
        "cin",
        "application/xml",
        readFileSync("tests/golden/cin/input-2026.xml", "utf8"),
        "la-childrens-services",
        "201",
      )
    ).json()) as IngestReport;
    expect(again.counts).toMatchObject({ unchanged: 3, rejected: 1, resourcesWritten: 0 });
  });
});
