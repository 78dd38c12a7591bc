// POST /fhir/Patient/$household-check over a real ingest (CPA, NDTMS, CIN census, SSD → persons, households, flags
// derived by the chain) on SQLite. The issue 10 must-show: a children's social worker with safeguarding-s47, for a
// child open to their LA, gets the household adult's care coordinator contact and summary; with child-in-need-s17
// and no consent, existence only; a worker from another LA gets nothing; all three are in the audit with the rule.
// Plus: bad input is a 400 naming the parameter, no identifiable value in an error or log line, and no answer
// leaves unaudited (503 when the audit cannot be written).
import { beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/port.js";
import type { TestApp } from "../support/test-app.js";
import { capturingLogger, type FamilyCase, familyCases, ingestedApp } from "./lookup-support.js";

type Json = Record<string, unknown>;
type Part = { name: string; resource?: Json; part?: Part[]; valueCode?: string; valueString?: string };

const NHS = "https://fhir.nhs.uk/Id/nhs-number";
let t: TestApp;
let cases: FamilyCase[];
let k: FamilyCase;
const logger = capturingLogger();

const token = (org: string, purpose: string, extra: Json = {}) =>
  t.issuer.sign({
    sub: `sw-${org}`,
    org,
    org_type: "la-childrens-services",
    role: "practitioner",
    purpose_of_use: purpose,
    ...extra,
  });

async function check(org: string, purpose: string, parameter: unknown[]) {
  const res = await t.app.request("http://gw.test/fhir/Patient/$household-check", {
    method: "POST",
    headers: { Authorization: `Bearer ${await token(org, purpose)}`, "Content-Type": "application/fhir+json" },
    body: JSON.stringify({ resourceType: "Parameters", parameter }),
  });
  return { status: res.status, body: (await res.json()) as Json & { parameter?: Part[] } };
}

/** The child's NHS number, else the LA child id of its LA (the caller's). */
const byChildNhs = (c: FamilyCase) => {
  const ids = (c.child.identifier as Json[]) ?? [];
  const nhs = ids.find((i) => i.system === NHS)?.value as string | undefined;
  if (nhs) return [{ name: "nhsNumber", valueIdentifier: { system: NHS, value: nhs } }];
  const la = ids.find((i) => String(i.system).endsWith(`/cin-la-child/${c.la}`))?.value as string;
  return [{ name: "laChildId", valueString: la }];
};
const identifiable = (c: FamilyCase) =>
  ((c.child.identifier as Json[]) ?? []).some(
    (i) => i.system === NHS || String(i.system).endsWith(`/cin-la-child/${c.la}`),
  );
const part = (p: Part, name: string) => p.part?.find((x) => x.name === name);
const adultFor = (body: { parameter?: Part[] }, episodeId: string) =>
  body.parameter?.find((p) => p.name === "adult" && part(p, "episode")?.resource?.id === episodeId);

/** AuditEvents recorded for `EpisodeOfCare/id`, with the org and the details of the decision. */
async function auditsOf(store: Store, resource: string) {
  const events = (
    await store.search({ resourceType: "AuditEvent", criteria: [], count: 10_000, sort: "id" })
  ).versions.map((v) => v.resource as Json);
  return events
    .filter((e) => ((e.entity as Json[]) ?? []).some((x) => (x.what as Json | undefined)?.reference === resource))
    .map((e) => {
      const details = ((e.entity as Json[])[0]?.detail as { type: string; valueString: string }[]) ?? [];
      const d = (type: string) => details.find((x) => x.type === type)?.valueString;
      const org = ((e.agent as Json[])[1]?.who as { identifier?: { value?: string } })?.identifier?.value;
      return {
        org,
        purpose: (e.purposeOfEvent as { coding: { code: string }[] }[])[0]?.coding[0]?.code,
        rule: d("rule"),
        level: d("disclosure-level"),
        decision: d("decision"),
        legalBasis: d("legal-basis"),
      };
    });
}

beforeAll(async () => {
  t = await ingestedApp({ logger });
  cases = await familyCases(t.store);
  const hasNhs = (c: FamilyCase) => ((c.child.identifier as Json[]) ?? []).some((i) => i.system === NHS);
  const found = cases.find((c) => c.episode.careManager !== undefined && hasNhs(c));
  expect(found && hasNhs(found), "the chosen child has an NHS number, so another LA finds it too").toBe(true);
  expect(found, "the synthetic population has a child open to an LA living with a CPA patient").toBeDefined();
  k = found as FamilyCase;
}, 120_000);

describe("$household-check: the issue 10 must-show", () => {
  it("s47, child open to the caller's LA: the adult's care coordinator contact and summary, nothing sensitive", async () => {
    const { status, body } = await check(k.la, "safeguarding-s47", byChildNhs(k));
    expect(status).toBe(200);
    expect(body.resourceType).toBe("Parameters");
    const adult = adultFor(body, k.episode.id) as Part;
    expect(adult).toBeDefined();
    expect(part(adult, "level")?.valueCode).toBe("summary");
    expect(part(adult, "legalBasis")?.valueString).toContain("Children Act 1989 s47");
    const episode = part(adult, "episode")?.resource as Json;
    expect(episode.careManager).toEqual(k.episode.careManager);
    expect(episode.period).toEqual(k.episode.period);
    expect(episode).not.toHaveProperty("text");
    const lead = part(adult, "leadProfessional")?.resource as Json;
    expect(`Practitioner/${lead.id}`).toBe((k.episode.careManager as Json).reference);
    const patient = part(adult, "patient")?.resource as Json;
    expect(patient.id).toBe(k.adult.id);
    expect(patient).not.toHaveProperty("address");
  });

  it("s17 without consent: existence only (which service holds a record), and the note that consent is needed", async () => {
    const { status, body } = await check(k.la, "child-in-need-s17", byChildNhs(k));
    expect(status).toBe(200);
    const adult = adultFor(body, k.episode.id) as Part;
    expect(part(adult, "level")?.valueCode).toBe("existence");
    expect(part(adult, "leadProfessional")).toBeUndefined();
    const episode = part(adult, "episode")?.resource as Json;
    expect(Object.keys(episode).sort()).toEqual(
      ["id", "managingOrganization", "meta", "patient", "resourceType"].filter((x) => x in episode),
    );
    expect(episode).not.toHaveProperty("careManager");
    expect(episode).not.toHaveProperty("period");
    expect(part(adult, "note")?.valueString).toMatch(/consent/);
    const patient = part(adult, "patient")?.resource as Json;
    expect(patient).not.toHaveProperty("name");
    expect(patient).not.toHaveProperty("identifier");
  });

  it("a worker from another LA gets nothing: not one adult listed", async () => {
    const { status, body } = await check("992", "safeguarding-s47", byChildNhs(k));
    expect(status).toBe(200);
    expect(body.parameter ?? []).toEqual([]);
  });

  it("all three are in the audit log with the rule that matched, the level and the legal basis", async () => {
    const audits = await auditsOf(t.store, `EpisodeOfCare/${k.episode.id}`);
    expect(audits).toContainEqual(
      expect.objectContaining({
        org: k.la,
        purpose: "safeguarding-s47",
        decision: "permit",
        rule: "s47-household-adult",
        level: "summary",
        legalBasis: expect.stringContaining("s47"),
      }),
    );
    expect(audits).toContainEqual(
      expect.objectContaining({
        org: k.la,
        purpose: "child-in-need-s17",
        decision: "permit",
        rule: "s17-without-consent",
        level: "existence",
      }),
    );
    // The other LA found the child by NHS number: the adult's episode was decided, and denied.
    expect(audits).toContainEqual(
      expect.objectContaining({
        org: "992",
        purpose: "safeguarding-s47",
        decision: "deny",
        rule: "default-deny",
        level: "none",
      }),
    );
  });

  it("the s47 disclosure tells the trust's safeguarding lead: a notice Task the trust reads and the LA does not", async () => {
    const { status } = await check(k.la, "safeguarding-s47", byChildNhs(k));
    expect(status).toBe(200);
    const owner = (((k.episode.meta as Json)?.tag as { system: string; code: string }[]) ?? []).find((x) =>
      x.system.endsWith("/CodeSystem/record-owner"),
    )?.code as string;
    const notices = (await t.store.search({ resourceType: "Task", criteria: [], count: 10_000, sort: "id" })).versions
      .map((v) => v.resource as Json)
      .filter((x) => JSON.stringify(x.code).includes('"s47-disclosure"'));
    const mine = notices.filter(
      (x) =>
        ((x.input as { valueReference?: { reference?: string } }[]) ?? [])[0]?.valueReference?.reference ===
        `EpisodeOfCare/${k.episode.id}`,
    );
    expect(mine.length).toBeGreaterThan(0);
    const notice = mine.at(-1) as Json;
    expect(notice).toMatchObject({
      status: "requested",
      intent: "order",
      for: { reference: `Patient/${k.adult.id}` },
      owner: { identifier: { value: owner } },
      requester: { identifier: { value: k.la } },
    });
    // Its focus is the AuditEvent that recorded the disclosure, committed with it.
    const focus = (notice.focus as { reference: string }).reference.split("/")[1] as string;
    const audit = await t.store.read("AuditEvent", focus);
    expect(audit?.resource?.purposeOfEvent).toEqual([
      expect.objectContaining({ coding: [expect.objectContaining({ code: "safeguarding-s47" })] }),
    ]);
    // The trust's safeguarding lead reads it; the trust's other staff do not (it is the lead's, and it tells of a
    // section 47 enquiry), nor does the LA that made the enquiry.
    const read = async (org: string, orgType: string, role = "safeguarding-lead") => {
      const tok = await t.issuer.sign({
        sub: `u-${org}-${role}`,
        org,
        org_type: orgType,
        role,
        purpose_of_use: "direct-care",
      });
      return t.app.request(`http://gw.test/fhir/Task/${notice.id as string}`, {
        headers: { Authorization: `Bearer ${tok}` },
      });
    };
    expect((await read(owner, "mh-trust")).status).toBe(200);
    expect((await read(owner, "mh-trust", "practitioner")).status).toBe(404);
    expect((await read(owner, "mh-trust", "manager")).status).toBe(404);
    expect((await read(k.la, "la-childrens-services")).status).toBe(404);
    // The lead lists the notices by code and marks one reviewed by completing it.
    const lead = await t.issuer.sign({
      sub: "lead",
      org: owner,
      org_type: "mh-trust",
      role: "safeguarding-lead",
      purpose_of_use: "direct-care",
    });
    const auth = { Authorization: `Bearer ${lead}` };
    const code = encodeURIComponent("https://think-family-gateway.example/fhir/CodeSystem/notice|s47-disclosure");
    const listed = (await (
      await t.app.request(`http://gw.test/fhir/Task?code=${code}&status=requested&_count=1000`, { headers: auth })
    ).json()) as { entry?: { resource: Json }[] };
    expect(listed.entry?.map((x) => x.resource.id)).toContain(notice.id);
    const done = await t.app.request(`http://gw.test/fhir/Task/${notice.id as string}`, {
      method: "PUT",
      headers: { ...auth, "Content-Type": "application/fhir+json" },
      body: JSON.stringify({ ...notice, status: "completed" }),
    });
    expect(done.status).toBe(200);
    // A denied or s17 lookup tells no one: no notice names the other LA or an s17 enquiry.
    expect(notices.every((x) => (x.requester as { identifier: { value: string } }).identifier.value !== "992")).toBe(
      true,
    );
    expect(notices.every((x) => String(x.description).includes("s47"))).toBe(true);
  });

  it("the LA child id and name + birth date + postcode find the same child", async () => {
    const la = ((k.child.identifier as Json[]) ?? []).find((i) => String(i.system).endsWith(`/cin-la-child/${k.la}`));
    if (la) {
      const { body } = await check(k.la, "safeguarding-s47", [{ name: "laChildId", valueString: la.value }]);
      expect(adultFor(body, k.episode.id)).toBeDefined();
    }
    const name = ((k.child.name as Json[]) ?? [])[0] as { family?: string; given?: string[] } | undefined;
    const postcode = ((k.child.address as Json[]) ?? []).find((a) => typeof a.postalCode === "string")?.postalCode;
    if (name?.family && postcode) {
      const { status, body } = await check(k.la, "safeguarding-s47", [
        { name: "name", valueHumanName: { family: name.family, given: name.given?.slice(0, 1) } },
        { name: "birthDate", valueDate: k.child.birthDate },
        { name: "postcode", valueString: postcode },
      ]);
      expect(status).toBe(200);
      expect(adultFor(body, k.episode.id)).toBeDefined();
    }
    expect(la ?? postcode, "the child has an LA id or a postcode to look it up by").toBeDefined();
  });

  it("no adult in any answer is one the caller may not see: every listed adult's level is above none", async () => {
    for (const c of cases.slice(0, 5)) {
      for (const [org, purpose] of [
        [c.la, "safeguarding-s47"],
        [c.la, "child-in-need-s17"],
        ["992", "safeguarding-s47"],
      ] as const) {
        const { body } = await check(org, purpose, byChildNhs(c));
        for (const p of body.parameter ?? [])
          expect(["existence", "contact", "summary", "sensitive"]).toContain(part(p, "level")?.valueCode);
        if (org === "992") expect(body.parameter ?? []).toEqual([]);
      }
    }
  });
});

describe("$household-check: bad input", () => {
  const cases400: [string, unknown, string][] = [
    ["an NHS number with a bad check digit", [{ name: "nhsNumber", valueString: "9990000001" }], "nhsNumber"],
    [
      "a name without a postcode",
      [
        { name: "name", valueString: "Testperson" },
        { name: "birthDate", valueDate: "2015-01-02" },
      ],
      "postcode",
    ],
    [
      "a malformed birth date",
      [
        { name: "name", valueString: "Testperson" },
        { name: "birthDate", valueString: "02/01/2015" },
        { name: "postcode", valueString: "ZZ99 3AA" },
      ],
      "birthDate",
    ],
    [
      "a malformed postcode",
      [
        { name: "name", valueString: "Testperson" },
        { name: "birthDate", valueDate: "2015-01-02" },
        { name: "postcode", valueString: "NOT A POSTCODE" },
      ],
      "postcode",
    ],
    ["an unknown parameter", [{ name: "surname", valueString: "Testperson" }], "Parameters.parameter[0].name"],
    ["no parameter", [], "Parameters.parameter"],
    [
      "a parameter twice",
      [
        { name: "laChildId", valueString: "A1" },
        { name: "laChildId", valueString: "A2" },
      ],
      "laChildId",
    ],
  ];
  it.each(cases400)(
    "%s → 400 OperationOutcome naming the parameter, without the value",
    async (_what, parameter, where) => {
      const { status, body } = await check(k.la, "safeguarding-s47", parameter as unknown[]);
      expect(status).toBe(400);
      expect(body.resourceType).toBe("OperationOutcome");
      const issue = (body.issue as { expression?: string[]; diagnostics?: string }[])[0];
      expect(issue?.expression?.join(" ")).toContain(where);
      const text = JSON.stringify(body);
      for (const v of ["9990000001", "Testperson", "02/01/2015", "NOT A POSTCODE", "2015-01-02"])
        expect(text).not.toContain(v);
    },
  );

  it("a body that is not a Parameters resource is a 400", async () => {
    const res = await t.app.request("http://gw.test/fhir/Patient/$household-check", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${await token(k.la, "safeguarding-s47")}`,
        "Content-Type": "application/fhir+json",
      },
      body: JSON.stringify({ resourceType: "Patient" }),
    });
    expect(res.status).toBe(400);
  });

  it("no token: 401", async () => {
    const res = await t.app.request("http://gw.test/fhir/Patient/$household-check", { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
  });

  it("no log line holds the child's NHS number, name, birth date or postcode", () => {
    const nhs = (((k.child.identifier as Json[]) ?? []).find((i) => i.system === NHS)?.value as string) ?? "no-nhs";
    const family = (((k.child.name as Json[]) ?? [])[0]?.family as string | undefined) ?? "no-family-name";
    const all = logger.lines.join("\n");
    expect(logger.lines.length).toBeGreaterThan(0);
    for (const v of [nhs, family, k.child.birthDate as string, k.adult.birthDate as string])
      expect(all).not.toContain(v);
  });
});

describe("$household-check: never unaudited", () => {
  it("503 when the audit cannot be written, and no adult in the answer", async () => {
    let failAudit = false;
    const wrap = (s: Store): Store =>
      new Proxy(s, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver);
          if (prop !== "commit" || typeof v !== "function") return typeof v === "function" ? v.bind(target) : v;
          return (change: { log?: { stream: string }[] }) =>
            failAudit && change.log?.some((l) => l.stream === "audit")
              ? Promise.reject(new Error("disk full"))
              : v.call(target, change);
        },
      });
    const u = await ingestedApp({ households: 30, seed: "lookups-503", wrap });
    const c = (await familyCases(u.store)).find(identifiable);
    expect(c).toBeDefined();
    failAudit = true;
    const saved = t;
    t = u;
    try {
      const { status, body } = await check((c as FamilyCase).la, "safeguarding-s47", byChildNhs(c as FamilyCase));
      expect(status).toBe(503);
      expect(body.resourceType).toBe("OperationOutcome");
      expect(JSON.stringify(body)).not.toContain((c as FamilyCase).episode.id);
    } finally {
      t = saved;
    }
  }, 120_000);
});
