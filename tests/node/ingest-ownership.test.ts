// Only a record's owner writes it (issue 7 scope 1), over HTTP on a real SQLite store: a file from
// another organisation is refused and stores nothing, an authorised submitter is accepted, only some
// roles ingest, every Provenance names the sender, REST writes to ingest-owned resources are refused
// to other organisations, and an unchanged re-send by another user writes nothing.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { RECORD_OWNER_SYSTEM } from "../../src/auth/ownership.js";
import type { IngestReport } from "../../src/ingest/report.js";
import { ORGANISATION_SYSTEM, SENDER_TOKEN_EXTENSION } from "../../src/ingest/sender.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp } from "../support/test-app.js";

const lines = readFileSync("tests/golden/ndtms/input.csv", "utf8").split("\n");
/** Two good NDTMS rows of agency N0852 (clients C100 and C101). */
const NDTMS = `${lines.slice(0, 3).join("\n")}\n`;
/** The same first row as if agency N0853 owned it (client C900). */
const FOREIGN_ROW = (lines[1] as string).replace("N0852", "N0853").replace("C100", "C900");
const CPA = readFileSync("tests/golden/cpa/input.json", "utf8"); // header OrgIDProvider RX4
const CIN = readFileSync("tests/golden/cin/input-2026.xml", "utf8"); // LEA 201

type Json = Record<string, unknown>;
interface Searchset {
  total: number;
  entry?: { resource: Json & { id: string; meta: { tag?: unknown[] } } }[];
}

async function makeApp(env: Record<string, string> = {}, clock?: () => Date) {
  const t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), env, clock ? { clock } : {});
  const token = (claims: Json) =>
    t.issuer.sign({ sub: "feed", role: "system", purpose_of_use: "direct-care", ...claims });
  const ingest = async (source: string, type: string, body: string, tok: string) =>
    t.app.request(`http://gw.test/ingest/${source}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${tok}`, "Content-Type": type },
      body,
    });
  const as = (tok: string) => ({ headers: { Authorization: `Bearer ${tok}` } });
  // Read as N0852, the agency that owns what the NDTMS fixture stores: the sharing protocol shows another
  // organisation nothing of it.
  const search = async (query: string, tok?: string) =>
    (await (await t.fhir(`/fhir/${query}`, as(tok ?? (await token(drug("N0852")))))).json()) as Searchset;
  /** How many current resources of `type` the store holds, whoever owns them: "stored nothing" is checked here. */
  const stored = async (type: string) =>
    (await t.store.search({ resourceType: type, criteria: [], count: 1, sort: "id" })).total;
  return { t, token, ingest, as, search, stored };
}

const drug = (org: string, extra: Json = {}) => ({ org, org_type: "drug-alcohol-service", ...extra });

describe("ingest from an organisation other than the records' owner", () => {
  let app: Awaited<ReturnType<typeof makeApp>>;
  beforeAll(async () => {
    app = await makeApp();
  });

  it("refuses a whole NDTMS file of another agency with 403 and stores nothing", async () => {
    const res = await app.ingest("ndtms", "text/csv", NDTMS, await app.token(drug("N0853")));
    expect(res.status).toBe(403);
    const outcome = (await res.json()) as { resourceType: string; issue: { code: string; diagnostics: string }[] };
    expect(outcome.resourceType).toBe("OperationOutcome");
    expect(outcome.issue[0]?.code).toBe("forbidden");
    expect(outcome.issue[0]?.diagnostics).toMatch(/AGNCY/);
    for (const type of ["Patient", "EpisodeOfCare", "Observation", "Provenance"])
      expect(await app.stored(type), type).toBe(0);
  });

  it("rejects just the foreign row of a mixed file, at its row and column, and stores the owner's rows", async () => {
    const res = await app.ingest("ndtms", "text/csv", `${NDTMS}${FOREIGN_ROW}\n`, await app.token(drug("N0852")));
    expect(res.status).toBe(200);
    const report = (await res.json()) as IngestReport;
    expect(report.counts).toMatchObject({ records: 3, created: 2, rejected: 1 });
    const rejected = report.records.find((r) => r.outcome === "rejected");
    expect(rejected?.issues?.issue).toEqual([
      expect.objectContaining({ severity: "error", code: "forbidden", expression: ["row 4, column AGNCY"] }),
    ]);
    expect(JSON.stringify(rejected)).not.toMatch(/N0853|C900|9997654323/);
    const foreign = await app.search(
      "Patient?identifier=https://think-family-gateway.example/fhir/Id/ndtms-client/N0853|C900",
      await app.token(drug("N0853")),
    );
    expect(foreign.total).toBe(0);
  });

  it("refuses a CPA file whose header names another provider, even with a patient claiming the sender", async () => {
    const token = await app.token({ org: "RXE", org_type: "mh-trust" });
    expect((await app.ingest("cpa", "application/json", CPA, token)).status).toBe(403);
    const doc = JSON.parse(CPA) as { Patients: Json[] };
    doc.Patients = doc.Patients.map((p) => ({ ...p, OrgIDProv: "RXE" }));
    const res = await app.ingest("cpa", "application/json", JSON.stringify(doc), token);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { issue: { expression: string[] }[] }).issue[0]?.expression).toEqual([
      "MHS000Header.OrgIDProvider",
    ]);
    expect(await app.stored("EpisodeOfCare")).toBe(2); // the two NDTMS episodes only
  });

  it("refuses a CIN return of another local authority", async () => {
    const res = await app.ingest(
      "cin",
      "application/xml",
      CIN,
      await app.token({ org: "202", org_type: "la-childrens-services" }),
    );
    expect(res.status).toBe(403);
    expect(await app.stored("CarePlan")).toBe(0);
  });
});

describe("who may ingest", () => {
  it("accepts an authorised submitter configured in TFG_INGEST_SUBMITTERS, not an unlisted one", async () => {
    const app = await makeApp({ TFG_INGEST_SUBMITTERS: JSON.stringify({ N0900: ["N0852"] }) });
    const ok = await app.ingest("ndtms", "text/csv", NDTMS, await app.token(drug("N0900")));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as IngestReport).counts).toMatchObject({ created: 2, rejected: 0 });
    expect((await app.ingest("ndtms", "text/csv", NDTMS, await app.token(drug("N0901")))).status).toBe(403);
  });

  it("lets roles system and manager ingest and refuses the others with 403", async () => {
    const app = await makeApp();
    for (const role of ["practitioner", "safeguarding-lead", "analyst"]) {
      const res = await app.ingest("ndtms", "text/csv", NDTMS, await app.token(drug("N0852", { role })));
      expect(res.status, role).toBe(403);
      expect(((await res.json()) as { issue: { code: string }[] }).issue[0]?.code).toBe("forbidden");
    }
    expect(await app.stored("EpisodeOfCare")).toBe(0);
    const manager = await app.ingest("ndtms", "text/csv", NDTMS, await app.token(drug("N0852", { role: "manager" })));
    expect(manager.status).toBe(200);
  });
});

describe("Provenance names the sender; an unchanged re-send by another user writes nothing", () => {
  it("names the sending organisation, sub and jti (or a hash of a token without one), and keeps them on re-send", async () => {
    let today = new Date("2026-04-01T09:00:00Z");
    const app = await makeApp({}, () => today);
    const first = await app.ingest("ndtms", "text/csv", NDTMS, await app.token(drug("N0852", { jti: "tok-1" })));
    expect(first.status).toBe(200);
    // The ingest's own Provenance carries the owner's tag; what the derivation chain writes (Person, Group, Flag
    // Provenance) is the gateway's and does not.
    const ownTag = `_tag=${encodeURIComponent(`${RECORD_OWNER_SYSTEM}|N0852`)}`;
    const provs = await app.search(`Provenance?${ownTag}`);
    expect(provs.total).toBe(2);
    const org = { identifier: { system: ORGANISATION_SYSTEM, value: "N0852" } };
    for (const e of provs.entry ?? []) {
      expect(e.resource.agent).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ who: expect.objectContaining(org) }),
          expect.objectContaining({
            who: expect.objectContaining({ identifier: { system: app.t.issuer.issuer, value: "feed" } }),
            onBehalfOf: org,
            extension: [
              {
                url: SENDER_TOKEN_EXTENSION,
                valueIdentifier: { system: expect.stringMatching(/\/Id\/token-jti$/), value: "tok-1" },
              },
            ],
          }),
        ]),
      );
      expect(e.resource.meta.tag).toEqual([{ system: RECORD_OWNER_SYSTEM, code: "N0852" }]);
    }

    // Another user of the same organisation, on a token without jti, a month later: every record unchanged, nothing written.
    today = new Date("2026-05-02T15:30:00Z");
    const other = await app.token(drug("N0852", { sub: "second-feed" }));
    const again = (await (await app.ingest("ndtms", "text/csv", NDTMS, other)).json()) as IngestReport;
    expect(again.counts).toMatchObject({ unchanged: 2, updated: 0, created: 0, resourcesWritten: 0 });
    const prov = provs.entry?.[0]?.resource as Json & { id: string };
    const history = (await (await app.t.fhir(`/fhir/Provenance/${prov.id}/_history`, app.as(other))).json()) as {
      total: number;
    };
    expect(history.total).toBe(1);

    // A changed record sent on that token: its new Provenance names the new sender and the token's hash.
    const changed = NDTMS.replace("C101,E7,N,ZZ99 3AB,13", "C101,E7,N,ZZ99 3AB,14");
    const third = (await (await app.ingest("ndtms", "text/csv", changed, other)).json()) as IngestReport;
    expect(third.counts).toMatchObject({ updated: 1, unchanged: 1 });
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(other)));
    const hash = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    const latest = (await app.search(`Provenance?${ownTag}&_sort=-_lastUpdated&_count=1`)).entry?.[0]?.resource as Json;
    const text = JSON.stringify(latest);
    expect(text).toContain('"second-feed"');
    expect(text).toContain(hash);
    expect(text).not.toContain(other);
  });
});

describe("FHIR REST writes to resources ingest owns", () => {
  let app: Awaited<ReturnType<typeof makeApp>>;
  let patient: Json & { id: string };
  let owner: string;
  let other: string;
  beforeAll(async () => {
    app = await makeApp();
    owner = await app.token(drug("N0852", { role: "practitioner" }));
    other = await app.token(drug("N0853", { role: "practitioner" }));
    await app.ingest("ndtms", "text/csv", NDTMS, await app.token(drug("N0852")));
    patient = (await app.search("Patient?_count=1")).entry?.[0]?.resource as Json & { id: string };
  });

  const put = (tok: string, body: Json) =>
    app.t.fhir(`/fhir/Patient/${body.id}`, { method: "PUT", json: body, ...app.as(tok) });

  it("refuses update, delete and a transaction entry by another organisation (403) and changes nothing", async () => {
    const { meta: _meta, ...body } = patient;
    const update = await put(other, { ...body, gender: "other" });
    expect(update.status).toBe(403);
    expect(((await update.json()) as { issue: { code: string }[] }).issue[0]?.code).toBe("forbidden");
    const del = await app.t.fhir(`/fhir/Patient/${patient.id}`, { method: "DELETE", ...app.as(other) });
    expect(del.status).toBe(403);
    const tx = await app.t.fhir("/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [{ resource: { ...body, gender: "other" }, request: { method: "PUT", url: `Patient/${patient.id}` } }],
      },
      ...app.as(other),
    });
    expect(tx.status).toBe(403);
    const ops = [{ op: "replace", path: "/gender", value: "other" }];
    const patch = await app.t.fhir(`/fhir/Patient/${patient.id}`, {
      method: "PATCH",
      body: JSON.stringify(ops),
      headers: { "Content-Type": "application/json-patch+json", ...app.as(other).headers },
    });
    expect(patch.status).toBe(403);
    const txPatch = await app.t.fhir("/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          {
            resource: {
              resourceType: "Binary",
              contentType: "application/json-patch+json",
              data: btoa(JSON.stringify(ops)),
            },
            request: { method: "PATCH", url: `Patient/${patient.id}` },
          },
        ],
      },
      ...app.as(other),
    });
    expect(txPatch.status).toBe(403);
    const history = (await (await app.t.fhir(`/fhir/Patient/${patient.id}/_history`, app.as(owner))).json()) as {
      total: number;
    };
    expect(history.total).toBe(1);
  });

  it("refuses a create that claims another organisation's ownership, allows one claiming the caller's own", async () => {
    const claim = (code: string) => ({
      resourceType: "Patient",
      meta: { tag: [{ system: RECORD_OWNER_SYSTEM, code }] },
      gender: "female",
    });
    const res = await app.t.fhir("/fhir/Patient", { method: "POST", json: claim("N0852"), ...app.as(other) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { issue: { expression: string[] }[] }).issue[0]?.expression).toEqual([
      "Patient.meta.tag",
    ]);
    expect((await app.t.fhir("/fhir/Patient", { method: "POST", json: claim("N0853"), ...app.as(other) })).status).toBe(
      201,
    );
  });

  it("lets the owner update (the owner tag carried forward) and delete", async () => {
    const { meta: _meta, ...body } = patient;
    const update = await put(owner, { ...body, gender: "other" });
    expect(update.status).toBe(200);
    const updated = (await update.json()) as { meta: { tag: unknown[] } };
    expect(updated.meta.tag).toEqual([{ system: RECORD_OWNER_SYSTEM, code: "N0852" }]);
    const patch = await app.t.fhir(`/fhir/Patient/${patient.id}`, {
      method: "PATCH",
      body: JSON.stringify([{ op: "replace", path: "/gender", value: "female" }]),
      headers: { "Content-Type": "application/json-patch+json", ...app.as(owner).headers },
    });
    expect(patch.status).toBe(200);
    expect(((await patch.json()) as { meta: { tag: unknown[] } }).meta.tag).toEqual([
      { system: RECORD_OWNER_SYSTEM, code: "N0852" },
    ]);
    const del = await app.t.fhir(`/fhir/Patient/${patient.id}`, { method: "DELETE", ...app.as(owner) });
    expect(del.status).toBe(204);
    // Deleted, it still answers to its owner: another organisation cannot re-create it, the owner can.
    const { meta: _m, ...again } = patient;
    expect((await put(other, { ...again, gender: "male" })).status).toBe(403);
    const tx = await app.t.fhir("/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [{ resource: { ...again, gender: "male" }, request: { method: "PUT", url: `Patient/${patient.id}` } }],
      },
      ...app.as(other),
    });
    expect(tx.status).toBe(403);
    expect((await put(owner, { ...again, gender: "male" })).status).toBe(201);
  });
});
