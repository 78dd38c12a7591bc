// Ingest inside workerd on D1: the same readers (the CSV reader, saxes, @streamparser/json), mappings and batching as on Node.
import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { RECORD_OWNER_SYSTEM } from "../../src/auth/ownership.js";
import type { IngestReport } from "../../src/ingest/report.js";
import { d1Store } from "../../src/store/d1/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

let t: TestApp;

const NDTMS = [
  "FINITIAL,SINITIAL,DOB,SEX,REFLD,AGNCY,CLIENTID,EPISODID,CONSENT,PRNTSTAT,CHILDWTH,PREGNANT,NHSNUM",
  "A,B,1985-04-02,2,2026-01-10,N0852,W1,E1,Y,11,2,Y,9997654323",
  "C,D,1980-02-30,1,2026-01-10,N0852,W2,E1,Y,14,NA,NA,NA",
  "E,F,1979-01-01,1,2026-01-10,N0852,W3,E1,Y,,NA,NA,NA",
].join("\n");

const CIN = `<?xml version="1.0"?><Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2026</Year><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails><Source><SourceLevel>L</SourceLevel><LEA>201</LEA><SoftwareCode>T</SoftwareCode><Release>1</Release><SerialNo>001</SerialNo><DateTime>2026-04-02T10:00:00</DateTime></Source></Header><Children><Child><ChildIdentifiers><LAchildID>W1</LAchildID><PersonBirthDate>2016-05-05</PersonBirthDate><Sex>M</Sex></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics><CINdetails><CINreferralDate>2025-09-01</CINreferralDate><ReferralSource>3A</ReferralSource><Assessments><AssessmentActualStartDate>2025-09-02</AssessmentActualStartDate><FactorsIdentifiedAtAssessment><AssessmentFactors>4B</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments><ReferralNFA>0</ReferralNFA></CINdetails></Child></Children></Message>`;

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  t = await createTestApp(d1Store(env.DB));
});

/** The owner of each source's test records sends them. */
const OWNERS: Record<string, string> = { ndtms: "N0852", cin: "201", cpa: "RX4" };

async function post(source: string, orgType: string, type: string, body: string): Promise<IngestReport> {
  const token = await t.issuer.sign({
    sub: "feed",
    org: OWNERS[source],
    org_type: orgType,
    role: "system",
    purpose_of_use: "direct-care",
  });
  const res = await t.app.request(`http://gw.test/ingest/${source}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": type },
    body,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as IngestReport;
}

describe("ingest in workerd on D1", () => {
  it("ingests NDTMS CSV: good rows stored, the bad one rejected precisely, a re-send unchanged", async () => {
    const first = await post("ndtms", "drug-alcohol-service", "text/csv", NDTMS);
    expect(first.counts).toMatchObject({ created: 2, rejected: 1 });
    expect(first.records.find((r) => r.outcome === "rejected")?.issues?.issue[0]?.expression).toEqual([
      "row 3, column DOB",
    ]);
    const again = await post("ndtms", "drug-alcohol-service", "text/csv", NDTMS);
    expect(again.counts).toMatchObject({ unchanged: 2, rejected: 1, resourcesWritten: 0 });
  });

  it("streams a chunked CPA JSON upload through @streamparser/json in workerd: a bad record rejected alone", async () => {
    const text = JSON.stringify({
      MHS000Header: { OrgIDProvider: "RX4" },
      Patients: [
        { MHS001MPI: { LocalPatientId: "WS1", PersonBirthDate: "1985-01-01" } },
        { MHS001MPI: { LocalPatientId: { toString: 1 }, PersonBirthDate: "1985-01-01" } },
        { MHS001MPI: { LocalPatientId: "WS3", PersonBirthDate: "1986-01-01" } },
      ],
    });
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.slice(at, at + 17));
        at += 17;
      },
    });
    const token = await t.issuer.sign({
      sub: "feed",
      org: "RX4",
      org_type: "mh-trust",
      role: "system",
      purpose_of_use: "direct-care",
    });
    const res = await t.app.request(
      new Request("http://gw.test/ingest/cpa", {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body,
        // @ts-expect-error: duplex is needed for a stream body and missing from the Workers RequestInit type
        duplex: "half",
      }),
    );
    expect(res.status).toBe(200);
    const report = (await res.json()) as IngestReport;
    expect(report.counts).toMatchObject({ records: 3, created: 2, rejected: 1 });
    expect(report.records.find((r) => r.outcome === "rejected")?.issues?.issue[0]?.expression).toEqual([
      "Patients[1].MHS001MPI.LocalPatientId",
    ]);
  });

  it("ingests CIN census XML", async () => {
    const report = await post("cin", "la-childrens-services", "application/xml", CIN);
    expect(report.counts).toMatchObject({ created: 1, rejected: 0 });
  });

  it("withdraws what a re-sent CPA record no longer produces, on D1 (batch reads and Provenance search)", async () => {
    const doc = (children: string[]) =>
      JSON.stringify({
        MHS000Header: { OrgIDProvider: "RX4" },
        Patients: [
          {
            MHS001MPI: { LocalPatientId: "WP1", PersonBirthDate: "1985-01-01" },
            MHS701CPACareEpisode: [{ CPAEpisodeId: "WE1", StartDateCPA: "2026-01-01" }],
            Household: {
              AssessmentDate: "2026-02-01",
              ChildrenQuestion: "Y",
              Children: children.map((id) => ({
                ChildLocalId: id,
                PersonBirthDate: "2016-01-01",
                LivesWithPatient: "Y",
              })),
            },
          },
        ],
      });
    const first = await post("cpa", "mh-trust", "application/json", doc(["K1", "K2"]));
    expect(first.counts).toMatchObject({ created: 1, rejected: 0 });
    const second = await post("cpa", "mh-trust", "application/json", doc(["K1"]));
    const r = second.records[0];
    expect(r?.outcome).toBe("updated");
    expect(r?.withdrawn?.some((k) => k.startsWith("Patient/"))).toBe(true);
    for (const k of r?.withdrawn ?? []) {
      const res = await t.fhir(`/fhir/${k}`);
      expect(res.status, k).toBe(410);
    }
    const third = await post("cpa", "mh-trust", "application/json", doc(["K1"]));
    expect(third.counts).toMatchObject({ unchanged: 1, resourcesWritten: 0 });
  });

  it("refuses a CIN return sent by another local authority (403), stores nothing, and names the sender in Provenance", async () => {
    const other = CIN.replace("<LAchildID>W1</LAchildID>", "<LAchildID>W9</LAchildID>");
    const token = await t.issuer.sign({
      sub: "la-202-feed",
      org: "202",
      org_type: "la-childrens-services",
      role: "system",
      purpose_of_use: "direct-care",
    });
    const res = await t.app.request("http://gw.test/ingest/cin", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/xml" },
      body: other,
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { issue: { code: string }[] }).issue[0]?.code).toBe("forbidden");
    const children = (await (
      await t.fhir("/fhir/Patient?identifier=https://think-family-gateway.example/fhir/Id/cin-la-child/201|W9")
    ).json()) as { total: number };
    expect(children.total).toBe(0);
    type Provenances = { entry?: { resource: { agent: { who: { identifier?: { value: string } } }[] } }[] };
    const named = (b: Provenances) => (b.entry ?? []).map((e) => e.resource.agent.map((a) => a.who.identifier?.value));
    // The ingest's Provenance (tagged with the records' owner, LA 201) names its sender; what the derivation
    // chain wrote (Person, Group, Flag Provenance) names the gateway; none names the refused sender.
    // Read as LA 201, the records' owner (the sharing protocol shows another organisation nothing of them).
    const asOwner = {
      headers: {
        Authorization: `Bearer ${await t.issuer.sign({ sub: "reader", org: "201", org_type: "la-childrens-services", role: "practitioner", purpose_of_use: "direct-care" })}`,
      },
    };
    const own = (await (
      await t.fhir(`/fhir/Provenance?_count=100&_tag=${encodeURIComponent(`${RECORD_OWNER_SYSTEM}|201`)}`, asOwner)
    ).json()) as Provenances;
    expect(own.entry?.length).toBeGreaterThan(0);
    for (const agents of named(own)) expect(agents).toContain("feed");
    const all = (await (await t.fhir("/fhir/Provenance?_count=100", asOwner)).json()) as Provenances;
    for (const agents of named(all)) expect(agents).not.toContain("la-202-feed");
  });

  it("accepts an authorised submitter configured in TFG_INGEST_SUBMITTERS (parsed in workerd)", async () => {
    const hub = await createTestApp(d1Store(env.DB), { TFG_INGEST_SUBMITTERS: '{"N0900":["N0852"]}' });
    const send = async (org: string) =>
      hub.app.request("http://gw.test/ingest/ndtms", {
        method: "POST",
        headers: {
          Authorization: `Bearer ${await hub.issuer.sign({ sub: "hub", org, org_type: "drug-alcohol-service", role: "system", purpose_of_use: "direct-care" })}`,
          "Content-Type": "text/csv",
        },
        body: NDTMS.replaceAll(",E1,", ",E2,"),
      });
    expect((await send("N0901")).status).toBe(403);
    const res = await send("N0900");
    expect(res.status).toBe(200);
    expect(((await res.json()) as IngestReport).counts).toMatchObject({ created: 2, rejected: 1 });
  });
});
