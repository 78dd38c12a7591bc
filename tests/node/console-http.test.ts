// The console over HTTP (app.request): development sign-in and its cookies, CSRF refusal, a session that is no API
// token, the household check's audit rows equal to the API's, another LA seeing nothing, and the report pages' roles.
import { beforeAll, describe, expect, it } from "vitest";
import {
  auditIds,
  auditRowsSince,
  Client,
  type ConsoleTestApp,
  consoleApp,
  type DevUser,
  devSignIn,
} from "./console-support.js";
import { type FamilyCase, familyCases } from "./lookup-support.js";

type Json = Record<string, unknown>;
const NHS = "https://fhir.nhs.uk/Id/nhs-number";

let t: ConsoleTestApp;
let k: FamilyCase;

const worker = (org: string, purpose = "safeguarding-s47"): DevUser => ({
  subject: `sw-${org}`,
  org,
  orgType: "la-childrens-services",
  role: "practitioner",
  purpose,
});

async function signedIn(user: DevUser): Promise<Client> {
  const client = new Client(t.app);
  const res = await devSignIn(client, user);
  expect(res.status).toBe(303);
  return client;
}

/** The child's identifier to search by: NHS number, else the LA child id. */
function childFields(c: FamilyCase): Record<string, string> {
  const ids = (c.child.identifier as Json[]) ?? [];
  const nhs = ids.find((i) => i.system === NHS)?.value as string | undefined;
  if (nhs) return { nhsNumber: nhs };
  return { laChildId: ids.find((i) => String(i.system).endsWith(`/cin-la-child/${c.la}`))?.value as string };
}

/** The rule an AuditEvent records. */
const ruleOf = (e: Json) =>
  (((e.entity as Json[])[0]?.detail ?? []) as { type: string; valueString: string }[]).find((d) => d.type === "rule")
    ?.valueString;

beforeAll(async () => {
  t = await consoleApp({ households: 60 });
  // A child with an NHS number, so a worker of another LA finds the child too (and is denied each adult).
  const cases = (await familyCases(t.store)).filter((c) => childFields(c).nhsNumber !== undefined);
  expect(cases.length).toBeGreaterThan(0);
  k = cases[0] as FamilyCase;
});

describe("sign-in and session cookie", () => {
  it("the development sign-in sets an encrypted, HttpOnly, SameSite=Lax, Secure __Host- cookie", async () => {
    const client = new Client(t.app);
    const res = await devSignIn(client, worker("201"));
    expect(res.status).toBe(303);
    const line = res.headers.getSetCookie().find((l) => l.startsWith("__Host-tfg-console="));
    expect(line).toBeDefined();
    expect(line).toMatch(/HttpOnly/i);
    expect(line).toMatch(/SameSite=Lax/i);
    expect(line).toMatch(/Secure/i);
    expect(line).toMatch(/Path=\//);
    // A JWE: five parts, and nothing of the actor readable in it.
    const value = client.cookies.get("__Host-tfg-console") ?? "";
    expect(value.split(".")).toHaveLength(5);
    expect(value).not.toContain("201");
    const home = await client.request("/console");
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain("safeguarding-s47");
  });

  it("is not Secure on http://localhost (so npm start works in a browser)", async () => {
    const client = new Client(t.app, "http://localhost:8787");
    const res = await devSignIn(client, worker("201"));
    const line = res.headers.getSetCookie().find((l) => l.startsWith("tfg-console="));
    expect(line).toBeDefined();
    expect(line).not.toMatch(/Secure/i);
    expect(line).toMatch(/HttpOnly/i);
  });

  it("shows the purpose of use on every signed-in page", async () => {
    const client = await signedIn(worker("201", "child-in-need-s17"));
    for (const path of ["/console", "/console/household-check", "/console/family", "/console/audit"]) {
      const html = await (await client.request(path)).text();
      expect(html, path).toMatch(/Purpose of use for this session: <strong>child-in-need-s17<\/strong>/);
    }
  });

  it("sends a page without a session to sign-in, and refuses a forged or tampered cookie", async () => {
    const anon = new Client(t.app);
    const res = await anon.request("/console/household-check");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/console/sign-in");
    const client = await signedIn(worker("201"));
    const value = client.cookies.get("__Host-tfg-console") as string;
    client.cookies.set("__Host-tfg-console", `${value.slice(0, -4)}AAAA`);
    expect((await client.request("/console")).status).toBe(303);
  });

  it("signs out: the cookie is cleared and the next page asks for sign-in", async () => {
    const client = await signedIn(worker("201"));
    const csrf = await client.csrf("/console");
    const res = await client.post("/console/sign-out", { _csrf: csrf });
    expect(res.status).toBe(303);
    expect(client.cookies.has("__Host-tfg-console")).toBe(false);
    expect((await client.request("/console")).headers.get("Location")).toBe("/console/sign-in");
  });

  it("offers no development sign-in unless the development issuer is on", async () => {
    const off = await consoleApp({ households: 0, devSignIn: false });
    const client = new Client(off.app);
    const page = await (await client.request("/console/sign-in")).text();
    expect(page).not.toContain("/console/sign-in/development");
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? "x";
    const res = await client.post("/console/sign-in/development", { _csrf: csrf, ...worker("201") });
    expect(res.status).toBe(404);
    expect(res.headers.getSetCookie().some((l) => l.includes("tfg-console="))).toBe(false);
  });

  it("shows the form's problems in an error summary", async () => {
    const client = new Client(t.app);
    const csrf = await client.csrf("/console/sign-in");
    const res = await client.post("/console/sign-in/development", { _csrf: csrf, ...worker(""), role: "boss" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("There is a problem");
    expect(html).toContain('href="#org"');
    expect(html).toContain('href="#role"');
  });
});

describe("CSRF", () => {
  it("refuses the development sign-in without its token, or with another client's", async () => {
    const client = new Client(t.app);
    await client.csrf("/console/sign-in");
    expect((await client.post("/console/sign-in/development", { ...worker("201") })).status).toBe(403);
    const other = await new Client(t.app).csrf("/console/sign-in");
    expect((await client.post("/console/sign-in/development", { _csrf: other, ...worker("201") })).status).toBe(403);
    expect(client.cookies.has("__Host-tfg-console")).toBe(false);
  });

  it("refuses a household check posted without the session's token, with a wrong one, or from another site", async () => {
    const client = await signedIn(worker(k.la));
    const before = await auditIds(t.store);
    const fields = childFields(k);
    const none = await client.post("/console/household-check", fields);
    expect(none.status).toBe(403);
    expect(await none.text()).toContain("security token");
    expect((await client.post("/console/household-check", { ...fields, _csrf: "x".repeat(43) })).status).toBe(403);
    const csrf = await client.csrf("/console/household-check");
    const cross = await client.post(
      "/console/household-check",
      { ...fields, _csrf: csrf },
      { Origin: "https://evil.example" },
    );
    expect(cross.status).toBe(403);
    // Nothing was looked up: no audit entry was written.
    expect(await auditRowsSince(t.store, before)).toEqual([]);
    expect((await client.post("/console/household-check", { ...fields, _csrf: csrf })).status).toBe(200);
  });

  it("refuses sign-out and the purpose change without the token", async () => {
    const client = await signedIn(worker("201"));
    expect((await client.post("/console/sign-out", {})).status).toBe(403);
    expect((await client.post("/console/purpose", { purpose: "direct-care" })).status).toBe(403);
    expect(client.cookies.has("__Host-tfg-console")).toBe(true);
  });
});

describe("a console session is not an API token", () => {
  it("is refused on /fhir as a bearer token and as a cookie", async () => {
    const client = await signedIn(worker(k.la));
    const session = client.cookies.get("__Host-tfg-console") as string;
    const body = JSON.stringify({ resourceType: "Parameters", parameter: [] });
    const attempts: Record<string, string>[] = [
      { Authorization: `Bearer ${session}` },
      { Cookie: `__Host-tfg-console=${session}` },
      { Cookie: `tfg-console=${session}` },
    ];
    for (const headers of attempts) {
      const res = await t.app.request("http://gw.test/fhir/Patient/$household-check", {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/fhir+json" },
        body,
      });
      expect(res.status).toBe(401);
      const read = await t.app.request(
        `http://gw.test/fhir/${String((k.adult as Json).id ? `Patient/${k.adult.id}` : "Patient")}`,
        {
          headers,
        },
      );
      expect(read.status).toBe(401);
    }
  });
});

describe("household check", () => {
  it("records exactly the audit rows the same check through the API records", async () => {
    const user = worker(k.la, "safeguarding-s47");
    const fields = childFields(k);
    const client = await signedIn(user);
    const csrf = await client.csrf("/console/household-check");
    const start = await auditIds(t.store);
    const page = await client.post("/console/household-check", { ...fields, _csrf: csrf });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/household adults? you may see/);
    const consoleRows = await auditRowsSince(t.store, start);
    expect(consoleRows.length).toBeGreaterThan(0);

    const token = await t.dev.sign({
      sub: user.subject,
      org: user.org,
      org_type: user.orgType,
      role: user.role,
      purpose_of_use: user.purpose,
    });
    const parameter = fields.nhsNumber
      ? [{ name: "nhsNumber", valueIdentifier: { system: NHS, value: fields.nhsNumber } }]
      : [{ name: "laChildId", valueString: fields.laChildId }];
    const mid = await auditIds(t.store);
    const api = await t.app.request("http://gw.test/fhir/Patient/$household-check", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/fhir+json" },
      body: JSON.stringify({ resourceType: "Parameters", parameter }),
    });
    expect(api.status).toBe(200);
    const apiRows = await auditRowsSince(t.store, mid);
    expect(consoleRows).toEqual(apiRows);
    // And the page shows what the API answered: one card per adult.
    const answer = (await api.json()) as { parameter: { name: string }[] };
    const adults = answer.parameter.filter((p) => p.name === "adult").length;
    expect(adults).toBeGreaterThan(0);
    expect(html.match(/Household adult \d+/g)?.length).toBe(adults);
  });

  it("shows a worker from another LA nothing, and audits the denials", async () => {
    const client = await signedIn(worker("992"));
    const csrf = await client.csrf("/console/household-check");
    const start = await auditIds(t.store);
    const res = await client.post("/console/household-check", { ...childFields(k), _csrf: csrf });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("No household adults you may see");
    expect(html).not.toContain("Household adult 1");
    const adultName = ((k.adult.name as Json[] | undefined)?.[0]?.family as string | undefined) ?? "";
    if (adultName) expect(html).not.toContain(adultName);
    const rows = await auditRowsSince(t.store, start);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => [r.outcome, ruleOf(r)])).toEqual(rows.map(() => ["4", "default-deny"]));
  });

  it("finds the child by LA child id, and by name, date of birth and postcode, as the API does", async () => {
    const user = worker(k.la, "safeguarding-s47");
    const client = await signedIn(user);
    const ids = (k.child.identifier as Json[]) ?? [];
    const laId = ids.find((i) => String(i.system).endsWith(`/cin-la-child/${k.la}`))?.value as string | undefined;
    const name = (k.child.name as Json[] | undefined)?.[0] as { family?: string; given?: string[] } | undefined;
    const postcode = ((k.child.address as Json[] | undefined)?.[0] as { postalCode?: string } | undefined)?.postalCode;
    const token = await t.dev.sign({
      sub: user.subject,
      org: user.org,
      org_type: user.orgType,
      role: user.role,
      purpose_of_use: user.purpose,
    });
    const ways: { fields: Record<string, string>; parameter: Json[] }[] = [];
    if (laId) ways.push({ fields: { laChildId: laId }, parameter: [{ name: "laChildId", valueString: laId }] });
    if (name?.family && postcode && typeof k.child.birthDate === "string")
      ways.push({
        fields: { family: name.family, birthDate: k.child.birthDate, postcode },
        parameter: [
          { name: "name", valueHumanName: { family: name.family } },
          { name: "birthDate", valueDate: k.child.birthDate },
          { name: "postcode", valueString: postcode },
        ],
      });
    expect(ways.length).toBeGreaterThan(0);
    for (const way of ways) {
      const csrf = await client.csrf("/console/household-check");
      const html = await (await client.post("/console/household-check", { ...way.fields, _csrf: csrf })).text();
      const api = await t.app.request("http://gw.test/fhir/Patient/$household-check", {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/fhir+json" },
        body: JSON.stringify({ resourceType: "Parameters", parameter: way.parameter }),
      });
      const adults = ((await api.json()) as { parameter: { name: string }[] }).parameter.filter(
        (p) => p.name === "adult",
      );
      expect(adults.length, Object.keys(way.fields).join("+")).toBeGreaterThan(0);
      expect(html.match(/Household adult \d+/g)?.length ?? 0, Object.keys(way.fields).join("+")).toBe(adults.length);
    }
  });

  it("names the field of bad input without repeating the value", async () => {
    const client = await signedIn(worker("201"));
    const csrf = await client.csrf("/console/household-check");
    const res = await client.post("/console/household-check", { nhsNumber: "9990000001", _csrf: csrf });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('href="#nhsNumber"');
    expect(html).toContain("NHS number is not a valid NHS number");
    expect(html.match(/9990000001/g)?.length).toBe(1); // only in the field's own value
    const none = await client.post("/console/household-check", { _csrf: csrf });
    expect(await none.text()).toContain("Enter an NHS number, an LA child id, or a family name");
  });
});

describe("break-glass", () => {
  it("a break-glass check with a reason shows the adults, and the lead's review queue lists it as the API does", async () => {
    const reason = "Child found alone at the address; police on scene";
    const client = await signedIn(worker("992", "break-glass"));
    const csrf = await client.csrf("/console/household-check");
    const res = await client.post("/console/household-check", { ...childFields(k), reason, _csrf: csrf });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/\d+ household adults? you may see/);
    const lead: DevUser = { ...worker("992", "quality-audit"), subject: "lead-992", role: "safeguarding-lead" };
    const leadClient = await signedIn(lead);
    const page = await leadClient.request("/console/reviews");
    expect(page.status).toBe(200);
    const html = await page.text();
    const token = await t.dev.sign({
      sub: lead.subject,
      org: lead.org,
      org_type: lead.orgType,
      role: lead.role,
      purpose_of_use: lead.purpose,
    });
    const api = (await (
      await t.app.request("http://gw.test/reports/break-glass", { headers: { Authorization: `Bearer ${token}` } })
    ).json()) as { entries: unknown[] };
    expect(api.entries.length).toBeGreaterThan(0);
    expect(html.match(/Break-glass read \d+<\/h3>/g)?.length).toBe(api.entries.length); // one card (and form) each
    expect(html).toContain("sw-992");
    expect(html).not.toContain(reason);
  });
});

describe("worklist", () => {
  it("lists a manager's organisation's flagged episodes, with the CSV of the API's own route", async () => {
    const client = await signedIn({
      subject: "m1",
      org: "RX4",
      orgType: "mh-trust",
      role: "manager",
      purpose: "direct-care",
    });
    const res = await client.request("/console/worklist");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1 class="nhsuk-heading-l">Worklist</h1>');
    const token = await t.dev.sign({
      sub: "m1",
      org: "RX4",
      org_type: "mh-trust",
      role: "manager",
      purpose_of_use: "direct-care",
    });
    const api = (await (
      await t.app.request("http://gw.test/reports/worklist", { headers: { Authorization: `Bearer ${token}` } })
    ).json()) as { rows: { episode: string }[] };
    expect(api.rows.length).toBeGreaterThan(0);
    expect(html.match(/<tr class="nhsuk-table__row">/g)?.length).toBe(api.rows.length + 1);
    const csv = await client.request("/console/reports/worklist?_format=csv");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toContain("text/csv");
    const apiCsv = await t.app.request("http://gw.test/reports/worklist?_format=csv", {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(await csv.text()).toBe(await apiCsv.text());
  });

  it("refuses a practitioner, as the API does", async () => {
    const client = await signedIn({
      subject: "p1",
      org: "RX4",
      orgType: "mh-trust",
      role: "practitioner",
      purpose: "direct-care",
    });
    const res = await client.request("/console/worklist");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("Reports are for managers");
    expect((await client.request("/console/reports/worklist?_format=csv")).status).toBe(403);
  });
});
