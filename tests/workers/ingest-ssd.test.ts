// SSD case records inside workerd on D1: the JSON document and the multipart CSV tables are read, mapped and stored
// as on Node, and a CIN census child and the case-record person of the same LA and id are one Patient.
import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { IngestReport } from "../../src/ingest/report.js";
import { d1Store } from "../../src/store/d1/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

let t: TestApp;
let token: string;

const CIN = `<?xml version="1.0"?><Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2026</Year><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails><Source><SourceLevel>L</SourceLevel><LEA>201</LEA><SoftwareCode>T</SoftwareCode><Release>1</Release><SerialNo>001</SerialNo><DateTime>2026-04-02T10:00:00</DateTime></Source></Header><Children><Child><ChildIdentifiers><LAchildID>SW1</LAchildID><PersonBirthDate>2016-05-05</PersonBirthDate><Sex>M</Sex></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics><CINdetails><CINreferralDate>2025-09-01</CINreferralDate><ReferralSource>3A</ReferralSource><ReferralNFA>0</ReferralNFA></CINdetails></Child></Children></Message>`;

const SSD = {
  tfg_extract: [{ la_code: "201" }],
  ssd_person: [
    {
      pers_person_id: "SW1",
      pers_forename: "Sam",
      pers_surname: "Testname",
      pers_sex: "M",
      pers_ethnicity: "WBRI",
      pers_dob: "2016-05-05",
      pers_single_unique_id: "9990000018",
    },
  ],
  ssd_cin_episodes: [
    {
      cine_referral_id: "R1",
      cine_person_id: "SW1",
      cine_referral_date: "2025-09-01",
      cine_referral_source_code: "3A",
    },
  ],
  tfg_related_people: [
    {
      relp_person_id: "SW1",
      relp_related_person_id: "P1",
      relp_forename: "Pat",
      relp_relationship: "mother",
      relp_lives_with_child: "Y",
    },
  ],
};

const csv = (rows: Record<string, string>[]) => {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return `${[columns.join(","), ...rows.map((r) => columns.map((c) => r[c] ?? "").join(","))].join("\n")}\n`;
};

async function post(type: string | undefined, body: BodyInit, path = "ssd"): Promise<IngestReport> {
  const res = await t.app.request(`http://gw.test/ingest/${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, ...(type ? { "Content-Type": type } : {}) },
    body,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as IngestReport;
}

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  t = await createTestApp(d1Store(env.DB));
  token = await t.issuer.sign({
    sub: "feed",
    org: "201",
    org_type: "la-childrens-services",
    role: "system",
    purpose_of_use: "direct-care",
  });
});

describe("SSD ingest in workerd on D1", () => {
  it("stores the case records over a CIN child as one Patient; CSV tables and a CIN re-send are then unchanged", async () => {
    expect((await post("application/xml", CIN, "cin")).counts).toMatchObject({ created: 1, rejected: 0 });
    const json = await post("application/json", JSON.stringify(SSD));
    expect(json.counts).toMatchObject({ records: 1, updated: 1, rejected: 0 });
    const form = new FormData();
    for (const [name, rows] of Object.entries(SSD)) form.append(name, new Blob([csv(rows)]), `${name}.csv`);
    expect((await post(undefined, form)).counts).toMatchObject({ records: 1, unchanged: 1 });
    expect((await post("application/xml", CIN, "cin")).counts).toMatchObject({ unchanged: 1 });
    // Read as the LA that owns the records (the sharing protocol shows another organisation nothing of them).
    const asOwner = { headers: { Authorization: `Bearer ${token}` } };
    const res = await t.fhir("/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", asOwner);
    const bundle = (await res.json()) as { total: number; entry: { resource: { identifier: { system: string }[] } }[] };
    expect(bundle.total).toBe(1);
    const systems = bundle.entry[0]?.resource.identifier.map((i) => i.system);
    expect(systems).toContain("https://think-family-gateway.example/fhir/Id/cin-la-child/201");
    const all = (await (await t.fhir("/fhir/Patient", asOwner)).json()) as { total: number };
    expect(all.total).toBe(1);
  });
});
