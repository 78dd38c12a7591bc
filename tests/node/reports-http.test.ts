// /reports over HTTP on real SQLite after a real CPA ingest: the worklist (hand-built flags in the flags
// helper's shape), newest first and paged; who may read; 4xx OperationOutcomes for bad parameters; CSV
// that no spreadsheet runs as a formula; one log line with the report and the caller's org only.
import { beforeAll, describe, expect, it } from "vitest";
import { AUDIT_STREAM } from "../../src/audit/audit-log.js";
import type { IngestReport } from "../../src/ingest/report.js";
import type { Logger } from "../../src/log/logger.js";
import { readCsv } from "../../src/mapping/parsers/csv.js";
import { WORKLIST_COLUMNS } from "../../src/reports/columns.js";
import { csvHeader, csvRows } from "../../src/reports/csv.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";
import { flag, patient, person, put } from "./reports-fixtures.js";

type Rec = Record<string, unknown>;
type Row = {
  patient: string;
  localId: string;
  episodeId: string;
  team: string;
  teamName: string;
  flags: { code: string; subject: string; start: string; end: string | null }[];
};

let now = Date.parse("2026-04-10T09:00:00.000Z");
let t: TestApp;
const lines: Rec[] = [];
const capture: Logger = {
  debug: (o) => lines.push(o),
  info: (o) => lines.push(o),
  warn: (o) => lines.push(o),
  error: (o) => lines.push(o),
  child: () => capture,
};

const HOSTILE_TEAMS = ['=HYPERLINK("http://x.example","go")', "+SUM(1,2)", "-2+3", "@cmd", "=cmd|' /C calc'!A0"];

const record = (id: string, teamName: string, end?: string): Rec => ({
  OrgIDProv: "RX4",
  MHS001MPI: {
    LocalPatientId: id,
    // Different people (the person index would link records that share a name and birth date).
    PersonBirthDate: `1985-0${id.slice(1)}-1${id.slice(1)}`,
    PersonGivenName: ["Alex", "Sam", "Jo", "Kit", "Ray", "Lee"][Number(id.slice(1)) - 1] ?? "Max",
    PersonFamilyName: `Example${id}`,
  },
  MHS006MHCareCoord: [
    {
      CareProfLocalId: `CC-${id}`,
      StartDateAssCareCoord: "2026-01-01",
      CareProfTeamLocalId: `T-${id}`,
      CareProfTeamName: teamName,
    },
  ],
  MHS701CPACareEpisode: [
    { CPAEpisodeId: `CPA-${id}`, StartDateCPA: "2026-01-01", ...(end ? { EndDateCPA: end } : {}) },
  ],
  // "No children" recorded, so the flags deriver raises none of its own: this file's flags are the ones put below.
  Household: { AssessmentDate: "2026-01-10", ChildrenQuestion: "N" },
});

const token = (claims: Rec = {}) =>
  t.issuer.sign({
    sub: "lead-1",
    org: "RX4",
    org_type: "mh-trust",
    role: "safeguarding-lead",
    purpose_of_use: "direct-care",
    ...claims,
  });

const get = async (path: string, claims: Rec = {}, headers: Record<string, string> = {}) =>
  t.app.request(`http://gw.test${path}`, { headers: { Authorization: `Bearer ${await token(claims)}`, ...headers } });

const patientOf = new Map<string, string>();

async function sendCpa(...patients: Rec[]) {
  now += 60_000;
  const res = await t.app.request("http://gw.test/ingest/cpa", {
    method: "POST",
    headers: { Authorization: `Bearer ${await token({ role: "system" })}`, "Content-Type": "application/json" },
    body: JSON.stringify({ Patients: patients }),
  });
  const report = (await res.json()) as IngestReport;
  expect(report.counts.rejected).toBe(0);
  for (const r of report.records) {
    const ref = r.resources?.find((x) => x.startsWith("Patient/"));
    if (ref && r.key) patientOf.set(r.key.split("/")[1] as string, ref.slice("Patient/".length));
  }
}

async function parseCsv(text: string): Promise<{ header: string[]; rows: Record<string, string>[] }> {
  let header: string[] = [];
  const rows: Record<string, string>[] = [];
  for await (const e of readCsv(
    (async function* () {
      yield text;
    })(),
  )) {
    if (e.kind === "header") header = e.columns;
    else if (e.kind === "row") rows.push(e.record);
    else throw new Error(`unreadable CSV: ${JSON.stringify(e)}`);
  }
  return { header, rows };
}

const pid = (local: string) => patientOf.get(local) as string;

beforeAll(async () => {
  t = await createTestApp(
    await openSqliteStore(":memory:", loadMigrations()),
    {},
    { logger: capture, clock: () => new Date(now) },
  );
  // Sent one at a time, so the episodes' lastUpdated give the order W4, W3, W1 (newest first).
  await sendCpa(record("W1", HOSTILE_TEAMS[0] as string));
  await sendCpa(record("W2", HOSTILE_TEAMS[1] as string), record("W5", "Closed team", "2026-02-01"));
  await sendCpa(record("W3", HOSTILE_TEAMS[2] as string));
  await sendCpa(record("W4", HOSTILE_TEAMS[3] as string), record("W6", HOSTILE_TEAMS[4] as string));
  await put(
    t.store,
    flag("f1", "household-has-children", pid("W1"), { start: "2026-01-05" }),
    flag("f2", "pregnant", pid("W1"), { status: "inactive", start: "2025-06-01", end: "2026-01-01" }),
    // active, but its period ended before today: the child turned 18
    flag("f3", "child-protection-plan", pid("W2"), { start: "2025-01-01", end: "2026-03-01" }),
    // a child-only flag is not a worklist flag
    flag("f4", "young-carer", pid("W3")),
    // W3's other record (an NDTMS client, say) holds the flag; the person index links the two
    patient("other-w3", "N0852"),
    person("person-w3", [pid("W3"), "other-w3"]),
    flag("f5", "parent-children-elsewhere", "other-w3", { start: "2026-02-02" }),
    flag("f6", "pregnant", pid("W4"), { start: "2026-03-03", end: "2026-10-01" }),
    flag("f7", "household-has-children", pid("W5")),
  );
}, 60_000);

describe("GET /reports/worklist", () => {
  it("lists the open episodes with current children flags, newest first, one page at a time", async () => {
    const seen: Row[] = [];
    let url: string | undefined = "/reports/worklist?_count=1";
    let pages = 0;
    while (url) {
      const res = await get(url.replace("http://gw.test", ""));
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        rows: Row[];
        next?: string;
        report: string;
        organisation: string;
        asOf: string;
      };
      expect(body).toMatchObject({ report: "worklist", organisation: "RX4", asOf: "2026-04-10" });
      expect(body.rows.length).toBeLessThanOrEqual(1);
      if (body.next) expect(res.headers.get("Link")).toBe(`<${body.next}>; rel="next"`);
      seen.push(...body.rows);
      url = body.next;
      expect(++pages).toBeLessThan(10);
    }
    expect(seen.map((r) => r.localId)).toEqual(["W4", "W3", "W1"]);
    expect(seen[0]).toMatchObject({
      patient: `Patient/${pid("W4")}`,
      episodeId: "CPA-W4",
      team: "T-W4",
      teamName: "@cmd",
      flags: [{ code: "pregnant", subject: `Patient/${pid("W4")}`, start: "2026-03-03", end: "2026-10-01" }],
    });
    expect(seen[1]?.flags).toEqual([
      {
        code: "parent-children-elsewhere",
        flag: "Flag/f5",
        subject: "Patient/other-w3",
        start: "2026-02-02",
        end: null,
      },
    ]);
    expect(seen[2]?.flags.map((f) => f.code)).toEqual(["household-has-children"]);
  });

  it("shows nothing of this organisation's to another organisation", async () => {
    for (const claims of [
      { org: "RXE" },
      { org: "991", org_type: "la-childrens-services" },
      { org: "N0852", org_type: "drug-alcohol-service" },
    ]) {
      const res = await get("/reports/worklist", { role: "manager", ...claims });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { rows: unknown[] }).rows).toEqual([]);
    }
  });

  it("as CSV: the documented columns, every hostile cell prefixed so no spreadsheet runs it", async () => {
    const res = await get("/reports/worklist", {}, { Accept: "text/csv" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/csv/);
    const text = await res.text();
    const { header, rows } = await parseCsv(text);
    expect(header).toEqual(WORKLIST_COLUMNS.map((c) => c.header));
    expect(rows.map((r) => r.team_name)).toEqual(["'@cmd", "'-2+3", `'${HOSTILE_TEAMS[0]}`]);
    expect(rows[0]).toMatchObject({
      local_id: "W4",
      flags: "pregnant",
      flag_periods: "pregnant 2026-03-03/2026-10-01",
    });
    for (const line of text.split("\r\n").filter(Boolean)) {
      for (const cell of line.split(",")) expect(cell.replace(/^"/, "")).not.toMatch(/^[=+\-@\t\r]/);
    }
  });
});

describe("GET /reports/completeness as CSV", () => {
  it("escapes team names and keeps counts numeric", async () => {
    const res = await get("/reports/completeness", {}, { Accept: "text/csv;q=0.9, application/json;q=0.5" });
    expect(res.status).toBe(200);
    const { rows } = await parseCsv(await res.text());
    const names = rows.map((r) => r.team_name).sort();
    expect(names).toEqual([`'${HOSTILE_TEAMS[0]}`, "'+SUM(1,2)", "'-2+3", "'@cmd", `'${HOSTILE_TEAMS[4]}`].sort());
    expect(rows.every((r) => r.episodes === "1" && r.parental_status_recorded_denominator === "1")).toBe(true);
    expect(
      // Every record answers the children question ("no children"; see `record`).
      rows.every((r) => r.parental_status_recorded_numerator === "1" && r.parental_status_recorded_share === "1"),
    ).toBe(true);
  });
});

describe("csvRows", () => {
  it("prefixes every cell a spreadsheet would run (=, +, -, @, tab, carriage return), never a number", () => {
    const cols = [{ header: "v", cell: (r: { v: string | number }) => r.v }];
    const out = csvRows(cols, [{ v: "\tx" }, { v: "\rx" }, { v: "-1" }, { v: -1 }, { v: "a=b" }, { v: 'say "hi"' }]);
    expect(out).toBe(`'\tx\r\n"'\rx"\r\n'-1\r\n-1\r\na=b\r\n"say ""hi"""\r\n`);
    expect(csvHeader([{ header: "=h", cell: () => "" }])).toBe("'=h\r\n");
  });
});

describe("who may read reports", () => {
  it("refuses roles other than manager, safeguarding lead and system, and person-level lists for statistics", async () => {
    for (const role of ["practitioner", "analyst"]) {
      const res = await get("/reports/worklist", { role });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({
        resourceType: "OperationOutcome",
        issue: [{ code: "forbidden", expression: ["role"] }],
      });
    }
    for (const role of ["manager", "safeguarding-lead", "system"])
      expect((await get("/reports/completeness", { role })).status).toBe(200);
    const stats = { role: "manager", purpose_of_use: "statistics" };
    expect((await get("/reports/worklist", stats)).status).toBe(403);
    expect((await get("/reports/completeness/not-recorded", stats)).status).toBe(403);
    expect((await get("/reports/completeness", stats)).status).toBe(200);
    const anonymous = await t.app.request("http://gw.test/reports/worklist");
    expect(anonymous.status).toBe(401);
  });

  it("audits every report read, permit and deny, naming the report and the rule", async () => {
    const before = (await t.store.readLog(AUDIT_STREAM, 0, 100_000)).length;
    expect((await get("/reports/worklist", { role: "manager" })).status).toBe(200);
    expect((await get("/reports/worklist", { role: "practitioner" })).status).toBe(403);
    const events = (await t.store.readLog(AUDIT_STREAM, before, 100_000)).map((e) => e.payload as Rec);
    const text = events.map((e) => JSON.stringify(e));
    // The read itself, then each person listed (before their row left), then the refused read.
    const listed = new Set(
      (
        (await (await get("/reports/worklist", { role: "manager" })).json()) as { rows: { patient: string }[] }
      ).rows.map((r) => r.patient),
    );
    expect(listed.size).toBeGreaterThan(0);
    expect(events.map((e) => e.outcome)).toEqual([...Array(1 + listed.size).fill("0"), "4"]);
    const people = events.slice(1, -1).map((e) => {
      const entity = (e.entity as { what?: { reference?: string } }[]).map((x) => x.what?.reference);
      return entity.find((r) => r?.startsWith("Patient/"));
    });
    expect(new Set(people)).toEqual(listed);
    // Decided by the sharing protocol: its report rules, permit and deny.
    for (const [i, e] of text.entries()) {
      expect(e).toContain("$report-worklist");
      expect(e).toContain(i === text.length - 1 ? '"reports-refused"' : '"reports-own-organisation"');
    }
  });
});

describe("bad parameters", () => {
  const cases: [string, number, string][] = [
    ["/reports/worklist?_count=0", 400, "_count"],
    ["/reports/worklist?_count=abc", 400, "_count"],
    ["/reports/worklist?_count=501", 400, "_count"],
    ["/reports/worklist?_count=1&_count=2", 400, "_count"],
    ["/reports/worklist?_cursor=not-a-cursor", 400, "_cursor"],
    ["/reports/worklist?_cursor=%%%", 400, "_cursor"],
    ["/reports/worklist?patient=Patient/1", 400, "patient"],
    ["/reports/worklist?_format=xml", 400, "_format"],
    ["/reports/completeness?_count=5", 400, "_count"],
    ["/reports/completeness/not-recorded?_sort=id", 400, "_sort"],
  ];
  it.each(cases)("%s → %i OperationOutcome at %s", async (path, status, where) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    const body = (await res.json()) as { resourceType: string; issue: { expression?: string[] }[] };
    expect(body.resourceType).toBe("OperationOutcome");
    expect(body.issue[0]?.expression).toEqual([where]);
  });

  it("refuses a cursor issued for another report, and an Accept it cannot serve", async () => {
    const page = (await (await get("/reports/worklist?_count=1")).json()) as { next: string };
    const cursor = new URL(page.next).searchParams.get("_cursor") as string;
    const res = await get(`/reports/completeness/not-recorded?_cursor=${cursor}`);
    expect(res.status).toBe(400);
    const xml = await get("/reports/worklist", {}, { Accept: "application/xml" });
    expect(xml.status).toBe(406);
    expect(((await xml.json()) as { resourceType: string }).resourceType).toBe("OperationOutcome");
  });
});

describe("logging", () => {
  it("logs the report kind and the caller's org, and nothing identifying", async () => {
    lines.length = 0;
    await get("/reports/worklist", { org: "RX4" });
    const report = lines.find((l) => l.report === "worklist");
    expect(report).toEqual({ report: "worklist", org: "RX4", format: "json", requestId: expect.any(String) });
    const all = JSON.stringify(lines);
    for (const local of ["W1", "W3", "W4", "Alex", "Example", "1985-01-01", pid("W4")])
      expect(all).not.toContain(local);
  });
});
