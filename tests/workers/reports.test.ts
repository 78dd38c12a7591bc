// Reports inside workerd on D1: a CPA and an NDTMS ingest, then the not-recorded list and the completeness
// summary as JSON and CSV (csv-stringify in the Workers runtime), D1's 100-parameter bound respected.
import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { IngestReport } from "../../src/ingest/report.js";
import { d1Store } from "../../src/store/d1/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

let t: TestApp;

const NDTMS = [
  "FINITIAL,SINITIAL,DOB,SEX,REFLD,AGNCY,CLIENTID,EPISODID,CONSENT,PRNTSTAT,CHILDWTH,PREGNANT,NHSNUM,DISD",
  "A,B,1985-04-02,2,2026-01-10,N0852,R1,E1,Y,11,2,Y,9997654323,",
  "E,F,1979-01-01,1,2026-01-10,N0852,R3,E1,Y,,NA,NA,NA,",
  "G,H,1979-01-01,1,2026-01-10,N0852,R4,E1,Y,NA,NA,NA,NA,2026-02-01",
].join("\n");

/** 60 CPA patients: even ones answered the household question, odd ones did not. */
const CPA = JSON.stringify({
  MHS000Header: { OrgIDProvider: "RX4" },
  Patients: Array.from({ length: 60 }, (_, i) => ({
    MHS001MPI: { LocalPatientId: `Q${i}`, PersonBirthDate: "1980-01-01" },
    MHS006MHCareCoord: [
      {
        CareProfLocalId: "CC1",
        StartDateAssCareCoord: "2026-01-01",
        CareProfTeamLocalId: "T1",
        CareProfTeamName: "=North",
      },
    ],
    MHS701CPACareEpisode: [{ CPAEpisodeId: `EP${i}`, StartDateCPA: "2026-01-01" }],
    ...(i % 2 === 0 ? { Household: { AssessmentDate: "2026-02-01", ChildrenQuestion: "N", Pregnant: "N" } } : {}),
  })),
});

const token = (org: string, orgType: string, role: string) =>
  t.issuer.sign({ sub: "u", org, org_type: orgType, role, purpose_of_use: "direct-care" });

async function post(source: string, org: string, orgType: string, type: string, body: string) {
  const res = await t.app.request(`http://gw.test/ingest/${source}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await token(org, orgType, "system")}`, "Content-Type": type },
    body,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as IngestReport;
}

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  t = await createTestApp(d1Store(env.DB), {}, { clock: () => new Date("2026-04-15T10:00:00Z") });
  expect((await post("cpa", "RX4", "mh-trust", "application/json", CPA)).counts.created).toBe(60);
  expect((await post("ndtms", "N0852", "drug-alcohol-service", "text/csv", NDTMS)).counts.created).toBe(3);
});

const get = async (path: string, org: string, orgType: string, accept = "application/json") =>
  t.app.request(`http://gw.test${path}`, {
    headers: { Authorization: `Bearer ${await token(org, orgType, "manager")}`, Accept: accept },
  });

describe("reports in workerd on D1", () => {
  it("lists every open episode whose parental status is not recorded, JSON and CSV", async () => {
    const json = (await (await get("/reports/completeness/not-recorded?_count=500", "RX4", "mh-trust")).json()) as {
      rows: { episodeId: string }[];
    };
    const odd = Array.from({ length: 30 }, (_, i) => `EP${2 * i + 1}`).sort();
    expect(json.rows.map((r) => r.episodeId).sort()).toEqual(odd);
    const csv = await (await get("/reports/completeness/not-recorded", "RX4", "mh-trust", "text/csv")).text();
    const lines = csv.trim().split("\r\n");
    expect(lines).toHaveLength(31);
    expect(lines[0]).toMatch(/^patient,local_id,episode,/);
    expect(lines.slice(1).every((l) => l.includes(",T1,'=North,not-recorded"))).toBe(true);
    const ndtms = (await (await get("/reports/completeness/not-recorded", "N0852", "drug-alcohol-service")).json()) as {
      rows: { localId: string; parentalStatus: string }[];
    };
    expect(ndtms.rows).toMatchObject([{ localId: "R3", parentalStatus: "not-recorded" }]);
  });

  it("summarises the organisation's episodes", async () => {
    const body = (await (await get("/reports/completeness", "RX4", "mh-trust")).json()) as {
      groups: { team: string; parentalStatusRecorded: { numerator: number; denominator: number } }[];
    };
    expect(body.groups).toMatchObject([{ team: "T1", parentalStatusRecorded: { numerator: 30, denominator: 60 } }]);
    // The flags deriver ran in the ingest: each episode with no household answer carries children-status-not-recorded.
    const worklist = (await (await get("/reports/worklist?_count=100", "RX4", "mh-trust")).json()) as {
      rows: { episodeId: string; flags: { code: string }[] }[];
    };
    const odd = Array.from({ length: 30 }, (_, i) => `EP${2 * i + 1}`).sort();
    expect(worklist.rows.map((r) => r.episodeId).sort()).toEqual(odd);
    expect(worklist.rows.every((r) => r.flags.map((f) => f.code).join() === "children-status-not-recorded")).toBe(true);
  });
});
