// Break-glass through $household-check, and the review queue GET /reports/break-glass (issue 10 scope 6), over a real
// ingest on SQLite. Must-show: a break-glass read works only with a reason, expires, and appears in the review queue
// of the caller's organisation's safeguarding lead. The reason itself is never stored in the audit or shown.
import { beforeAll, describe, expect, it } from "vitest";
import { breakGlassQueue } from "../../src/lookups/break-glass-queue.js";
import type { TestApp } from "../support/test-app.js";
import { type FamilyCase, familyCases, ingestedApp, TODAY } from "./lookup-support.js";

type Json = Record<string, unknown>;
type Part = { name: string; resource?: Json; part?: Part[]; valueCode?: string; valueInstant?: string };

const NHS = "https://fhir.nhs.uk/Id/nhs-number";
const REASON = "Child found alone at the address; police on scene";
const OTHER_LA = "992";
let t: TestApp;
let k: FamilyCase;

const token = (org: string, purpose: string, role = "practitioner") =>
  t.issuer.sign({ sub: `u-${role}-${org}`, org, org_type: "la-childrens-services", role, purpose_of_use: purpose });

async function check(reason?: string) {
  const nhs = ((k.child.identifier as Json[]) ?? []).find((i) => i.system === NHS)?.value as string;
  const res = await t.app.request("http://gw.test/fhir/Patient/$household-check", {
    method: "POST",
    headers: {
      Authorization: `Bearer ${await token(OTHER_LA, "break-glass")}`,
      "Content-Type": "application/fhir+json",
      ...(reason !== undefined ? { "X-Access-Reason": reason } : {}),
    },
    body: JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "nhsNumber", valueString: nhs }] }),
  });
  return { status: res.status, body: (await res.json()) as Json & { parameter?: Part[] } };
}

async function queue(org: string, role = "safeguarding-lead") {
  const res = await t.app.request("http://gw.test/reports/break-glass", {
    headers: { Authorization: `Bearer ${await token(org, "quality-audit", role)}` },
  });
  return { status: res.status, body: (await res.json()) as Json & { entries?: Json[] } };
}

beforeAll(async () => {
  t = await ingestedApp();
  const found = (await familyCases(t.store)).find(
    (c) => c.episode.careManager !== undefined && ((c.child.identifier as Json[]) ?? []).some((i) => i.system === NHS),
  );
  expect(found).toBeDefined();
  k = found as FamilyCase;
}, 120_000);

describe("break-glass on $household-check", () => {
  it("without a reason: nothing (break-glass-refused), and nothing queued", async () => {
    for (const reason of [undefined, "   "]) {
      const { status, body } = await check(reason);
      expect(status).toBe(200);
      expect(body.parameter ?? []).toEqual([]);
    }
    expect((await queue(OTHER_LA)).body.entries).toEqual([]);
  });

  it("with a reason: the adult at summary, with the instant it expires (4 hours)", async () => {
    const { status, body } = await check(REASON);
    expect(status).toBe(200);
    const adult = (body.parameter ?? []).find(
      (p) => p.part?.find((x) => x.name === "episode")?.resource?.id === k.episode.id,
    ) as Part;
    expect(adult).toBeDefined();
    expect(adult.part?.find((x) => x.name === "level")?.valueCode).toBe("summary");
    expect(adult.part?.find((x) => x.name === "expires")?.valueInstant).toBe(
      new Date(TODAY.getTime() + 4 * 3600_000).toISOString(),
    );
  });

  it("appears in the review queue of the caller's organisation's safeguarding lead, not another's", async () => {
    const { status, body } = await queue(OTHER_LA);
    expect(status).toBe(200);
    const entry = (body.entries ?? []).find((e) => (e.entities as string[]).includes(`EpisodeOfCare/${k.episode.id}`));
    expect(entry).toMatchObject({
      operation: "$household-check",
      rule: "break-glass",
      role: "practitioner",
      user: { subject: `u-practitioner-${OTHER_LA}` },
      expires: new Date(TODAY.getTime() + 4 * 3600_000).toISOString(),
      expired: false,
    });
    expect((await queue(k.la)).body.entries).toEqual([]);
  });

  it("expires: four hours on, the queue shows the permit as expired", async () => {
    const later = (await breakGlassQueue(t.store, OTHER_LA, new Date(TODAY.getTime() + 4 * 3600_000 + 1))).entries;
    expect(later.length).toBeGreaterThan(0);
    for (const e of later) expect(e.expired).toBe(true);
  });

  it("only a safeguarding lead reads the queue (403 otherwise), and each read of it is audited", async () => {
    expect((await queue(OTHER_LA, "practitioner")).status).toBe(403);
    expect((await queue(OTHER_LA, "manager")).status).toBe(403);
    const events = (await t.store.search({ resourceType: "AuditEvent", criteria: [], count: 10_000, sort: "id" }))
      .versions;
    const reviews = events
      .map((v) => v.resource as Json)
      .filter((e) => ((e.entity as Json[]) ?? []).some((x) => x.name === "break-glass-review"));
    // three reads by leads so far (the first two tests), two refused here
    expect(reviews.map((e) => e.outcome).sort()).toEqual(["0", "0", "0", "4", "4"]);
  });

  it("the stated reason is in no AuditEvent and no answer", async () => {
    const events = (await t.store.search({ resourceType: "AuditEvent", criteria: [], count: 10_000, sort: "id" }))
      .versions;
    expect(JSON.stringify(events.map((v) => v.resource))).not.toContain("police on scene");
    expect(JSON.stringify((await queue(OTHER_LA)).body)).not.toContain("police on scene");
  });
});
