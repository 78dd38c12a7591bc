// Reports over real ingest: a synthetic CPA file and NDTMS returns sent through POST /ingest, then the
// completeness list must name every open episode whose parental status is not-recorded (checked against
// the source records themselves), for the caller's organisation only, in JSON pages and in CSV.
import { beforeAll, describe, expect, it } from "vitest";
import type { IngestReport } from "../../src/ingest/report.js";
import { readCsv } from "../../src/mapping/parsers/csv.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { generate } from "../../src/synth/generate.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

type Rec = Record<string, unknown>;
type Row = { episodeId: string; localId: string; episodeType: string; parentalStatus: string; provider: string };

const TODAY = new Date("2026-04-15T10:00:00.000Z");
let t: TestApp;
let patients: Rec[];
let ndtms: { agency: string; rows: Record<string, string>[] }[];

const token = (org: string, orgType: string, role = "manager", purpose = "quality-audit") =>
  t.issuer.sign({ sub: `u-${org}`, org, org_type: orgType, role, purpose_of_use: purpose });

async function send(source: string, body: string, type: string, org: string, orgType: string) {
  const res = await t.app.request(`http://gw.test/ingest/${source}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await token(org, orgType, "system", "direct-care")}`, "Content-Type": type },
    body,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as IngestReport;
}

/** Parses CSV text with the gateway's own reader into header-keyed rows; a bad row fails the test. */
async function parseCsv(text: string): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  for await (const e of readCsv(
    (async function* () {
      yield text;
    })(),
  )) {
    if (e.kind === "row") rows.push(e.record);
    else if (e.kind !== "header") throw new Error(`unreadable CSV: ${JSON.stringify(e)}`);
  }
  return rows;
}

/** The oracle, from the CPA record alone (docs/sources/cpa.md): is the parental status not recorded? */
function cpaNotRecorded(p: Rec): boolean {
  const household = p.Household as Rec | undefined;
  if (["Y", "N", "Z"].includes(household?.ChildrenQuestion as string)) return false;
  const children = (household?.Children as Rec[] | undefined) ?? [];
  const pr = (p.MHS005PatInd as Rec | undefined)?.ParentalResp;
  return !(pr === "Y" && children.some((c) => c.LivesWithPatient === "Y"));
}

/** Every open CPA episode of `org` whose parental status the record leaves unrecorded, as `localId/episodeId`. */
const expectedCpa = (org: string) =>
  patients
    .filter((p) => p.OrgIDProv === org && cpaNotRecorded(p))
    .flatMap((p) =>
      ((p.MHS701CPACareEpisode as Rec[] | undefined) ?? [])
        .filter((e) => !e.EndDateCPA)
        .map((e) => `${(p.MHS001MPI as Rec).LocalPatientId}/${e.CPAEpisodeId}`),
    )
    .sort();

const blank = (v: string | undefined) => v === undefined || v === "" || v === "NA";

/** Every open NDTMS episode of `agency` whose PRNTSTAT is blank or NA, as `clientId/episodeId`. */
const expectedNdtms = (agency: string) =>
  (ndtms.find((f) => f.agency === agency)?.rows ?? [])
    .filter((r) => blank(r.DISD) && blank(r.PRNTSTAT))
    .map((r) => `${r.CLIENTID}/${r.EPISODID}`)
    .sort();

async function everyPage(org: string, orgType: string, count: number): Promise<{ rows: Row[]; pages: number }> {
  const auth = { Authorization: `Bearer ${await token(org, orgType)}` };
  let url: string | undefined = `http://gw.test/reports/completeness/not-recorded?_count=${count}`;
  const rows: Row[] = [];
  let pages = 0;
  while (url) {
    const res = await t.app.request(url, { headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: Row[]; next?: string; organisation: string };
    expect(body.organisation).toBe(org);
    expect(body.rows.length).toBeLessThanOrEqual(count);
    rows.push(...body.rows);
    url = body.next;
    pages++;
  }
  return { rows, pages };
}

beforeAll(async () => {
  t = await createTestApp(
    await openSqliteStore(":memory:", loadMigrations()),
    { TFG_INGEST_SUBMITTERS: '{"RX4":["RXE","RXG"]}' },
    { clock: () => TODAY },
  );
  const { files } = generate({ households: 150, seed: "reports-ingest" });
  const cpa = files.find((f) => f.path === "cpa/cpa.json")?.content as string;
  patients = (JSON.parse(cpa) as { Patients: Rec[] }).Patients;
  const report = await send("cpa", cpa, "application/json", "RX4", "mh-trust");
  expect(report.counts.rejected).toBe(0);
  ndtms = [];
  for (const f of files.filter((x) => x.path.startsWith("ndtms/"))) {
    const agency = f.path.slice("ndtms/".length, "ndtms/".length + 5);
    ndtms.push({ agency, rows: await parseCsv(f.content) });
    const r = await send("ndtms", f.content, "text/csv", agency, "drug-alcohol-service");
    expect(r.counts.created).toBeGreaterThan(0);
  }
}, 120_000);

describe("the completeness report over ingested CPA and NDTMS records", () => {
  it("lists every open CPA episode whose parental status is not-recorded, over JSON pages, for each trust", async () => {
    for (const org of ["RX4", "RXE", "RXG"]) {
      const expected = expectedCpa(org);
      const { rows, pages } = await everyPage(org, "mh-trust", 3);
      expect(rows.map((r) => `${r.localId}/${r.episodeId}`).sort(), org).toEqual(expected);
      expect(new Set(rows.map((r) => r.episodeId)).size).toBe(rows.length); // no page repeats a row
      if (expected.length > 3) expect(pages).toBeGreaterThan(1);
      expect(rows.every((r) => r.provider === org && r.episodeType === "cpa")).toBe(true);
    }
    expect(expectedCpa("RX4").length).toBeGreaterThan(3); // the data exercises paging
  });

  it("lists every open NDTMS episode with a blank or NA PRNTSTAT, for each agency", async () => {
    let listed = 0;
    for (const { agency } of ndtms) {
      const { rows } = await everyPage(agency, "drug-alcohol-service", 50);
      listed += rows.length;
      expect(rows.map((r) => `${r.localId}/${r.episodeId}`).sort(), agency).toEqual(expectedNdtms(agency));
      expect(rows.every((r) => r.episodeType === "drug-alcohol-treatment")).toBe(true);
    }
    expect(listed).toBeGreaterThan(0);
  });

  it("streams the same list as CSV", async () => {
    const res = await t.app.request("http://gw.test/reports/completeness/not-recorded", {
      headers: { Authorization: `Bearer ${await token("RX4", "mh-trust")}`, Accept: "text/csv" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/csv/);
    const rows = await parseCsv(await res.text());
    expect(rows.map((r) => `${r.local_id}/${r.episode_id}`).sort()).toEqual(expectedCpa("RX4"));
  });

  it("summarises per provider and team with counts that agree with the list", async () => {
    const res = await t.app.request("http://gw.test/reports/completeness", {
      headers: { Authorization: `Bearer ${await token("RX4", "mh-trust")}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      groups: {
        provider: string;
        team: string | null;
        episodes: number;
        parentalStatusRecorded: { numerator: number; denominator: number };
      }[];
      total: { episodes: number; notRecorded: number };
    };
    const open = patients
      .filter((p) => p.OrgIDProv === "RX4")
      .flatMap((p) => ((p.MHS701CPACareEpisode as Rec[] | undefined) ?? []).filter((e) => !e.EndDateCPA));
    expect(body.total.episodes).toBe(open.length);
    expect(body.total.notRecorded).toBe(expectedCpa("RX4").length);
    expect(body.groups.every((g) => g.provider === "RX4")).toBe(true);
    expect(body.groups.reduce((n, g) => n + g.episodes, 0)).toBe(open.length);
    expect(
      body.groups.reduce((n, g) => n + g.parentalStatusRecorded.denominator - g.parentalStatusRecorded.numerator, 0),
    ).toBe(body.total.notRecorded);
    expect(body.groups.some((g) => g.team !== null)).toBe(true);
  });

  it("another organisation's token sees nothing of this organisation's", async () => {
    const la = await everyPage("991", "la-childrens-services", 50);
    expect(la.rows).toEqual([]);
    const rxe = await everyPage("RXE", "mh-trust", 50);
    const rx4Episodes = new Set((await everyPage("RX4", "mh-trust", 50)).rows.map((r) => r.episodeId));
    expect(rxe.rows.some((r) => rx4Episodes.has(r.episodeId))).toBe(false);
    const res = await t.app.request("http://gw.test/reports/completeness", {
      headers: { Authorization: `Bearer ${await token("N0852", "drug-alcohol-service")}` },
    });
    const body = (await res.json()) as { groups: { provider: string; episodeType: string }[] };
    expect(body.groups.length).toBeGreaterThan(0);
    expect(body.groups.every((g) => g.provider === "N0852" && g.episodeType === "drug-alcohol-treatment")).toBe(true);
  });
});
