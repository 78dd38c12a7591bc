// The console's other pages over HTTP: each shows what the API's route answers for the same actor, runs the same
// checks, and writes the same audit: family view, completeness, review queues (accept with CSRF), who looked, ingest.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { breakGlassReviewTasks } from "../../src/audit/break-glass-review-task.js";
import { prepareWrite } from "../../src/fhir/resource-service.js";
import { taskOf } from "../../src/linkage/resources.js";
import {
  auditIds,
  auditRowsSince,
  Client,
  type ConsoleTestApp,
  consoleApp,
  type DevUser,
  devSignIn,
  TODAY,
} from "./console-support.js";
import { type FamilyCase, familyCases } from "./lookup-support.js";

type Json = Record<string, unknown>;
let t: ConsoleTestApp;
let k: FamilyCase;

async function signedIn(user: DevUser): Promise<Client> {
  const client = new Client(t.app);
  expect((await devSignIn(client, user)).status).toBe(303);
  return client;
}

const tokenFor = (u: DevUser) =>
  t.dev.sign({ sub: u.subject, org: u.org, org_type: u.orgType, role: u.role, purpose_of_use: u.purpose });

async function api(u: DevUser, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${await tokenFor(u)}`);
  return t.app.request(`http://gw.test${path}`, { ...init, headers });
}

beforeAll(async () => {
  t = await consoleApp({ households: 60, seed: "console" });
  const cases = await familyCases(t.store);
  expect(cases.length).toBeGreaterThan(0);
  k = cases[0] as FamilyCase;
});

describe("family view", () => {
  it("shows the children the API's $family shows, with the same audit rows", async () => {
    const user: DevUser = {
      subject: "cc-1",
      org: k.trust,
      orgType: "mh-trust",
      role: "practitioner",
      purpose: "direct-care",
    };
    const client = await signedIn(user);
    const csrf = await client.csrf(`/console/family?patient=Patient/${k.adult.id}`);
    const before = await auditIds(t.store);
    const page = await client.post("/console/family", { patient: `Patient/${k.adult.id}`, _csrf: csrf });
    expect(page.status).toBe(200);
    const html = await page.text();
    const consoleRows = await auditRowsSince(t.store, before);
    const mid = await auditIds(t.store);
    const res = await api(user, `/fhir/Patient/${k.adult.id}/$family`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { parameter: { name: string }[] };
    expect(await auditRowsSince(t.store, mid)).toEqual(consoleRows);
    expect(consoleRows.length).toBeGreaterThan(0);
    const children = body.parameter.filter((p) => p.name === "child").length;
    expect(html.match(/Child \d+<\/h3>/g)?.length ?? 0).toBe(children);
  });

  it("needs the CSRF token, and names a bad id's field", async () => {
    const client = await signedIn({
      subject: "cc-2",
      org: k.trust,
      orgType: "mh-trust",
      role: "practitioner",
      purpose: "direct-care",
    });
    expect((await client.post("/console/family", { patient: `Patient/${k.adult.id}` })).status).toBe(403);
    const csrf = await client.csrf("/console/family");
    const bad = await client.post("/console/family", { patient: "not an id!", _csrf: csrf });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('href="#patient"');
  });
});

describe("completeness", () => {
  const manager: DevUser = { subject: "m-1", org: "RX4", orgType: "mh-trust", role: "manager", purpose: "direct-care" };

  it("shows the API's totals, a chart with text values per team, and the not-recorded list with CSV links", async () => {
    const client = await signedIn(manager);
    const res = await client.request("/console/completeness");
    expect(res.status).toBe(200);
    const html = await res.text();
    const json = (await (await api(manager, "/reports/completeness")).json()) as {
      total: { episodes: number; notRecorded: number };
      groups: unknown[];
    };
    expect(html).toContain(`${json.total.episodes} in all`);
    expect(html).toContain(`${json.total.notRecorded} not recorded`);
    expect(html.match(/<caption class="nhsuk-table__caption nhsuk-table__caption--s">/g)?.length).toBe(
      json.groups.length,
    );
    expect(html).toContain('aria-hidden="true"'); // bars are decorative: the numbers are in the text
    expect(html).toContain("/console/reports/completeness/not-recorded?_format=csv");
    const csv = await client.request("/console/reports/completeness?_format=csv");
    expect(await csv.text()).toBe(await (await api(manager, "/reports/completeness?_format=csv")).text());
  });

  it("under the statistics purpose shows aggregates but no list of people", async () => {
    const client = await signedIn({ ...manager, purpose: "statistics" });
    const html = await (await client.request("/console/completeness")).text();
    expect(html).toContain("Lists of people are not released under the statistics purpose");
    expect((await client.request("/console/reports/completeness/not-recorded?_format=csv")).status).toBe(403);
  });
});

describe("review queues", () => {
  const lead: DevUser = {
    subject: "sl-1",
    org: "RX4",
    orgType: "mh-trust",
    role: "safeguarding-lead",
    purpose: "quality-audit",
  };

  it("lists the possible matches the /fhir search shows, and accepts one through the form", async () => {
    // The synthetic population has no possible match: one is written for two of RX4's patients.
    const patients = (
      await t.store.search({ resourceType: "Patient", criteria: [], count: 10_000, sort: "id" })
    ).versions
      .map((v) => v.resource as Json)
      .filter((p) => JSON.stringify(p.meta).includes('"RX4"'))
      .slice(0, 2);
    expect(patients).toHaveLength(2);
    const [a, b] = patients.map((p) => `Patient/${p.id}`) as [string, string];
    const pending = taskOf(a, b, undefined, "requested");
    const w = prepareWrite("Task", pending.id, 1, TODAY.toISOString(), pending);
    w.json = JSON.stringify(w.resource);
    await t.store.commit({ resources: [w] });
    const client = await signedIn(lead);
    const res = await client.request("/console/reviews");
    expect(res.status).toBe(200);
    const html = await res.text();
    const found = (await (await api(lead, "/fhir/Task?code=possible-match&status=requested&_count=50")).json()) as {
      entry?: { resource: Json }[];
    };
    const tasks = (found.entry ?? []).map((e) => e.resource).filter((r) => r.resourceType === "Task");
    // The sharing protocol's match-review rule shows RX4's lead the Task naming RX4's records, API and console alike.
    expect(tasks.map((r) => r.id)).toEqual([pending.id]);
    expect(html.match(/Possible match \d+:/g)?.length ?? 0).toBe(1);
    expect(html).toContain("Break-glass reads awaiting review");
    // Another organisation's lead sees no such Task, and may not decide it (404, as for a Task that does not exist).
    const other = { ...lead, subject: "sl-other", org: "RT9" };
    const theirs = (await (await api(other, "/fhir/Task?code=possible-match&status=requested")).json()) as {
      total?: number;
    };
    expect(theirs.total).toBe(0);
    expect((await api(other, `/linkage/tasks/${pending.id}/reject`, { method: "POST" })).status).toBe(404);
    const task = { id: pending.id };
    const csrf = await client.csrf("/console/reviews");
    expect((await client.post(`/console/reviews/tasks/${task.id}/accept`, {})).status).toBe(403);
    const done = await client.post(`/console/reviews/tasks/${task.id}/accept`, { _csrf: csrf });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("Accepted: the records are linked");
    expect((await t.store.read("Task", task.id as string))?.resource).toMatchObject({ status: "completed" });
  });

  it("reviews a break-glass read through its form: the API's review, and the read leaves the list", async () => {
    // A break-glass read by an RX4 user, as the auditor records it: its review Task, owned by RX4.
    const [task] = breakGlassReviewTasks(
      { id: "3f1c2a9e-0000-4000-8000-00000000c0de", recorded: TODAY.toISOString() },
      {
        interaction: "read",
        resourceType: "Patient",
        resource: `Patient/${k.child.id}`,
        patient: `Patient/${k.child.id}`,
      },
      { effect: "permit", level: "summary", rule: "break-glass", obligations: ["review-by-safeguarding-lead"] },
      { org: "RX4", issuer: "https://idp.test.invalid", subject: "cc-bg" },
    );
    if (!task) throw new Error("no review Task");
    const w = prepareWrite("Task", task.id, 1, TODAY.toISOString(), task);
    w.json = JSON.stringify(w.resource);
    await t.store.commit({ resources: [w] });
    const client = await signedIn(lead);
    const html = await (await client.request("/console/reviews")).text();
    expect(html).toContain("Break-glass read 1</h3>");
    expect(html).toContain(`action="/console/reviews/break-glass/${task.id}/review"`);
    expect(html).toContain('value="inappropriate"');
    const path = `/console/reviews/break-glass/${task.id}/review`;
    expect((await client.post(path, { outcome: "inappropriate" })).status).toBe(403); // no CSRF field
    expect((await t.store.read("Task", task.id))?.versionId).toBe(1);
    const csrf = await client.csrf("/console/reviews");
    const done = await client.post(path, { outcome: "inappropriate", note: "Followed up.", _csrf: csrf });
    expect(done.status).toBe(200);
    const after = await done.text();
    expect(after).toContain("Recorded: the break-glass read was inappropriate.");
    expect(after).not.toContain(`action="${path}"`);
    expect((await t.store.read("Task", task.id))?.resource).toMatchObject({
      status: "completed",
      note: [{ text: "Followed up." }],
    });
    const listed = (await (await api(lead, "/reports/break-glass?status=completed")).json()) as { entries: Json[] };
    expect(listed.entries.map((e) => e.task)).toContain(`Task/${task.id}`);
    // Another outcome is refused (409), as the API refuses it.
    expect((await client.post(path, { outcome: "appropriate", _csrf: csrf })).status).toBe(409);
  });

  it("refuses a practitioner, as the linkage routes do", async () => {
    const client = await signedIn({ ...lead, role: "practitioner" });
    expect((await client.request("/console/reviews")).status).toBe(403);
  });
});

describe("who looked at this record", () => {
  it("shows a safeguarding lead the reads of a patient, and audits that read of the audit", async () => {
    const client = await signedIn({
      subject: "sw-9",
      org: k.la,
      orgType: "la-childrens-services",
      role: "practitioner",
      purpose: "safeguarding-s47",
    });
    // Someone looks at the adult's household first.
    const check = await client.csrf("/console/family");
    await client.post("/console/family", { patient: `Patient/${k.adult.id}`, _csrf: check });
    const lead = await signedIn({
      subject: "sl-2",
      org: k.trust,
      orgType: "mh-trust",
      role: "safeguarding-lead",
      purpose: "quality-audit",
    });
    const csrf = await lead.csrf("/console/audit");
    const before = await auditIds(t.store);
    const res = await lead.post("/console/audit", { patient: `Patient/${k.adult.id}`, _csrf: csrf });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/\d+ recorded reads?/);
    expect(html).toContain("sw-9");
    const rows = await auditRowsSince(t.store, before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: "0", subtype: [{ code: "search" }] });
  });

  it("refuses a practitioner and audits the refusal", async () => {
    const client = await signedIn({
      subject: "p-9",
      org: k.trust,
      orgType: "mh-trust",
      role: "practitioner",
      purpose: "direct-care",
    });
    const csrf = await client.csrf("/console/audit");
    const before = await auditIds(t.store);
    const res = await client.post("/console/audit", { patient: `Patient/${k.adult.id}`, _csrf: csrf });
    expect(res.status).toBe(403);
    const rows = await auditRowsSince(t.store, before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: "4" });
  });
});

describe("ingest", () => {
  const manager: DevUser = {
    subject: "dm-1",
    org: "N0852",
    orgType: "drug-alcohol-service",
    role: "manager",
    purpose: "direct-care",
  };
  const csv = readFileSync("tests/golden/ndtms/input.csv", "utf8");

  function upload(client: Client, body: string, csrf?: string, name = "ndtms.csv") {
    const form = new FormData();
    if (csrf) form.set("_csrf", csrf);
    form.set("source", "ndtms");
    form.set("mode", "per-record");
    form.set("file", new File([body], name, { type: "text/csv" }));
    return client.request("/console/ingest", { method: "POST", body: form });
  }

  it("uploads a file and lists the rejected records with where and why", async () => {
    const client = await signedIn(manager);
    const csrf = await client.csrf("/console/ingest");
    const lines = csv.split("\n");
    lines[2] = (lines[2] as string).replace("1979-11-30", "1979-13-45");
    const res = await upload(client, lines.join("\n"), csrf);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Ingest report: ndtms");
    expect(html).toContain("Rejected records");
    expect(html).not.toContain("No record was rejected");
    expect(html).toMatch(/Finished: 5 records read, 4 rejected\./);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html.trimEnd().endsWith("</html>")).toBe(true);
  });

  it("streams the page: the form first, a progress line every 500 records, then the report", async () => {
    const client = await signedIn(manager);
    const csrf = await client.csrf("/console/ingest");
    const [header, row] = csv.split("\n") as [string, string];
    const big = [header, ...Array.from({ length: 1_200 }, () => row)].join("\n");
    const res = await upload(client, big, csrf);
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("Ingest a source file");
    expect(first).not.toContain("report-heading");
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest.match(/records read, \d+ rejected so far/g)).toHaveLength(2); // at 500 and 1,000
    expect(rest).toContain("Finished: 1,200 records read");
    expect(rest.indexOf("Finished:")).toBeLessThan(rest.indexOf("report-heading"));
  });

  it("finishes the ingest when the browser goes away mid-stream", async () => {
    const client = await signedIn(manager);
    const csrf = await client.csrf("/console/ingest");
    const [header, row] = csv.split("\n") as [string, string];
    const cols = header.split(",");
    const at = (name: string) => cols.indexOf(name);
    const N = 1_100;
    const rows = Array.from({ length: N }, (_, i) => {
      const cells = row.split(",");
      cells[at("CLIENTID")] = `C9${String(i).padStart(5, "0")}`; // clients no other test sends
      cells[at("DOB")] = new Date(Date.UTC(1960, 0, 1 + i * 7)).toISOString().slice(0, 10);
      cells[at("NHSNUM")] = "";
      cells[at("UPRN")] = "";
      return cells.join(",");
    });
    const provenances = async () =>
      (await t.store.search({ resourceType: "Provenance", criteria: [], count: 1, sort: "id" })).total ?? 0;
    const before = await provenances();
    const res = await upload(client, [header, ...rows].join("\n"), csrf);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel(); // the tab is closed before the first progress line (at 500 records)
    let after = before;
    for (let i = 0; i < 1200 && after < before + N; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await provenances();
    }
    expect(after - before).toBeGreaterThanOrEqual(N); // every record stored, none lost with the page
  }, 180_000);

  it("refuses an upload without the CSRF token, and a practitioner", async () => {
    const client = await signedIn(manager);
    expect((await upload(client, csv)).status).toBe(403);
    const p = await signedIn({ ...manager, role: "practitioner" });
    const csrf = await p.csrf("/console/ingest");
    expect((await upload(p, csv, csrf)).status).toBe(403);
  });

  it("names the file field when the file is of the wrong type", async () => {
    const client = await signedIn(manager);
    const csrf = await client.csrf("/console/ingest");
    const res = await upload(client, "<x/>", csrf, "ndtms.xml");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('href="#file"');
  });
});
