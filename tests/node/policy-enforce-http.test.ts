// Issue 10 scope 5 over HTTP: the sharing protocol enforced on every /fhir read (src/policy/enforce.ts through the
// service layer). A caller with no relationship gets an empty Bundle with total 0, 404 on read, vread and history;
// _include and _revinclude never add a hidden record; _summary=count never counts one; a caller with a relationship
// gets the record redacted to its level; every request leaves one audit entry; a failing audit refuses with 503.
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor.js";
import { withOwner } from "../../src/auth/ownership.js";
import type { DerivedResource } from "../../src/derive/port.js";
import { storeView } from "../../src/derive/store-view.js";
import { ResourceService } from "../../src/fhir/resource-service.js";
import type { AuditEntry } from "../../src/policy/audit.js";
import { MemoryAuditSink } from "../../src/policy/audit.js";
import { baselinePolicy } from "../../src/policy/baseline.js";
import { Enforcement } from "../../src/policy/enforce.js";
import { put } from "./flags-fixtures.js";
import { CALLERS, DELETED, type EnforceApp, enforceApp, NOW } from "./policy-enforce-fixtures.js";

interface Bundle {
  total: number;
  entry?: { resource?: Record<string, unknown> & { resourceType: string; id: string }; search?: { mode: string } }[];
  link: { relation: string; url: string }[];
}

let e: EnforceApp;
beforeAll(async () => {
  e = await enforceApp();
});

const json = async <T>(res: Response, status = 200): Promise<T> => {
  expect(res.status).toBe(status);
  return (await res.json()) as T;
};
const keys = (b: Bundle, mode?: string) =>
  (b.entry ?? [])
    .filter((x) => x.resource && x.search?.mode !== "outcome" && (mode === undefined || x.search?.mode === mode))
    .map((x) => `${x.resource?.resourceType}/${x.resource?.id}`)
    .sort();
const lastAudit = (): AuditEntry => e.audit.entries.at(-1) as AuditEntry;

describe("a caller with no relationship (another local authority, s47)", () => {
  it("searches get an empty Bundle with total 0, not a count of hidden matches", async () => {
    for (const path of [
      "/fhir/Patient",
      "/fhir/EpisodeOfCare?_count=1",
      "/fhir/Observation?subject=Patient/adult",
      "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018",
      "/fhir/Patient?_summary=count",
      "/fhir/EpisodeOfCare?_summary=count",
      "/fhir/EpisodeOfCare?_include=EpisodeOfCare:patient&_revinclude=Observation:subject",
    ]) {
      const b = await json<Bundle>(await e.as("la202s47", path));
      expect(b.total, path).toBe(0);
      expect(
        (b.entry ?? []).filter((x) => x.search?.mode !== "outcome"),
        path,
      ).toEqual([]);
      expect(b.link.map((l) => l.relation)).not.toContain("next");
    }
    expect(lastAudit()).toMatchObject({ interaction: "search-type", outcome: "deny", level: "none" });
  });

  it("read, vread and instance history answer 404, as for a record that does not exist", async () => {
    const missing = await json<{ issue: { diagnostics: string }[] }>(
      await e.as("la202s47", "/fhir/EpisodeOfCare/no-such"),
      404,
    );
    const hidden = await json<{ issue: { diagnostics: string }[] }>(
      await e.as("la202s47", "/fhir/EpisodeOfCare/ep-cpa"),
      404,
    );
    expect(hidden.issue[0]?.diagnostics).toBe(missing.issue[0]?.diagnostics.replace("no-such", "ep-cpa"));
    expect(lastAudit()).toMatchObject({
      interaction: "read",
      target: "EpisodeOfCare/ep-cpa",
      outcome: "deny",
      rules: ["default-deny"],
      subjects: ["Patient/adult"],
      purpose: "safeguarding-s47",
    });
    await json(await e.as("la202s47", "/fhir/EpisodeOfCare/ep-cpa/_history/1"), 404);
    await json(await e.as("la202s47", "/fhir/EpisodeOfCare/ep-cpa/_history"), 404);
    // A deleted record is 410 only to a caller who may see what was deleted.
    await json(await e.as("la202s47", `/fhir/${DELETED}`), 404);
    await json(await e.as("rx4", `/fhir/${DELETED}`), 410);
  });

  it("type and system history list nothing and count nothing", async () => {
    for (const path of ["/fhir/Patient/_history", "/fhir/_history", "/fhir/Observation/_history?_count=1"]) {
      const b = await json<Bundle>(await e.as("la202s47", path));
      expect(b.total, path).toBe(0);
      expect(b.entry ?? []).toEqual([]);
    }
  });

  it("a national analyst (statistics) sees nothing either", async () => {
    expect((await json<Bundle>(await e.as("national", "/fhir/Patient?_summary=count"))).total).toBe(0);
    await json(await e.as("national", "/fhir/Patient/adult"), 404);
  });
});

describe("a caller with a relationship: permitted and redacted to the level", () => {
  it("s47 for the child's LA: the household adult's episode at summary — lead professional, dates, no substance or free text", async () => {
    const res = await e.as("la201s47", "/fhir/EpisodeOfCare/ep-cpa");
    const ep = await json<Record<string, unknown>>(res);
    expect(ep.careManager).toEqual({ reference: "Practitioner/cc1", display: "Lead professional (test)" });
    expect(ep.period).toEqual({ start: "2025-01-10" });
    expect(ep).not.toHaveProperty("text");
    expect((ep.extension as { url: string }[]).map((x) => x.url)).toEqual([
      "https://think-family-gateway.example/fhir/StructureDefinition/treatment-modality",
    ]);
    expect(lastAudit()).toMatchObject({
      interaction: "read",
      outcome: "permit",
      level: "summary",
      rules: ["s47-household-adult"],
      obligations: ["notify-record-owner-safeguarding-lead"],
      reasonGiven: false,
    });
    expect(lastAudit().legalBases[0]).toMatch(/s47/);
    // The recording organisation's safeguarding lead is to be told (the auditor writes the notice: docs/AUDIT.md).
    expect(lastAudit().decisions.map((d) => d.notify)).toEqual([["RX4"]]);
  });

  it("the same with a stated justification: sensitive (rule 6); the justification is never in the audit entry", async () => {
    const ep = await json<Record<string, unknown>>(await e.as("la201s47reason", "/fhir/EpisodeOfCare/ep-cpa"));
    expect(ep).toHaveProperty("text");
    expect((ep.extension as unknown[]).length).toBe(2);
    const entry = lastAudit();
    expect(entry).toMatchObject({ rules: ["s47-sensitive-with-justification"], reasonGiven: true, level: "sensitive" });
    expect(JSON.stringify(entry)).not.toContain(CALLERS.la201s47reason.reason.slice(0, 20));
  });

  it("s17 without consent: existence only, on read, vread and history alike", async () => {
    const read = await json<Record<string, unknown>>(await e.as("la201s17", "/fhir/Patient/adult"));
    expect(Object.keys(read).sort()).toEqual(["id", "meta", "resourceType"]);
    const v1 = await json<Record<string, unknown>>(await e.as("la201s17", "/fhir/Patient/adult/_history/1"));
    expect(v1).not.toHaveProperty("gender");
    expect(v1).not.toHaveProperty("name");
    // A search tells the caller that consent would allow more (the obligation of rule 9), in an outcome entry.
    const found = await json<Bundle>(await e.as("la201s17", "/fhir/Patient?_id=adult"));
    const outcome = found.entry?.find((x) => x.search?.mode === "outcome")?.resource as unknown as {
      issue: { severity: string; diagnostics: string }[];
    };
    expect(outcome.issue).toEqual([
      expect.objectContaining({ severity: "information", diagnostics: expect.stringMatching(/consent/) }),
    ]);
    const history = await json<Bundle>(await e.as("la201s17", "/fhir/Patient/adult/_history"));
    expect(history.total).toBe(2);
    for (const x of history.entry ?? []) expect(x.resource).not.toHaveProperty("birthDate");
  });

  it("a record withheld at the permitted level (a modifier extension below sensitive) is 403, and left out of searches", async () => {
    await json(await e.as("la201s47", "/fhir/Observation/obs-mod"), 403);
    const b = await json<Bundle>(await e.as("la201s47", "/fhir/Observation?subject=Patient/adult"));
    expect(keys(b)).toEqual(["Observation/obs-sub"]);
    expect(b.total).toBe(1);
    await json(await e.as("la201s47reason", "/fhir/Observation/obs-mod"), 200);
  });

  it("_summary=count and total count only what the caller may see", async () => {
    const count = async (caller: "rx4" | "la201s47", path: string) =>
      (await json<Bundle>(await e.as(caller, path))).total;
    expect(await count("la201s47", "/fhir/EpisodeOfCare?_summary=count")).toBe(2);
    expect(await count("rx4", "/fhir/EpisodeOfCare?_summary=count")).toBe(3);
    expect(await count("la201s47", "/fhir/Patient?_summary=count")).toBe(2);
    expect(await count("rx4", "/fhir/Patient?_summary=count")).toBe(3);
    expect(await count("la201s47", "/fhir/Patient?_count=1")).toBe(2);
  });

  it("pages through only what may be seen: every page full until the last, no hidden record on any", async () => {
    const seen: string[] = [];
    let url: string | undefined = "/fhir/Patient?_count=1&_sort=_id";
    while (url) {
      const b: Bundle = await json<Bundle>(await e.as("la201s47", url));
      expect(b.total).toBe(2);
      seen.push(...keys(b));
      const next = b.link.find((l) => l.relation === "next")?.url;
      url = next ? next.replace("http://gw.test", "") : undefined;
    }
    expect(seen).toEqual(["Patient/adult", "Patient/child"]);
  });

  it("_include and _revinclude never pull in a resource the caller may not see", async () => {
    // The adult's episode names Practitioner/cc1 (RX4's record, about no one: shown only to RX4).
    const la = await json<Bundle>(
      await e.as("la201s47", "/fhir/EpisodeOfCare?_include=EpisodeOfCare:care-manager&_include=EpisodeOfCare:patient"),
    );
    expect(keys(la, "match")).toEqual(["EpisodeOfCare/ep-cin", "EpisodeOfCare/ep-cpa"]);
    expect(keys(la, "include")).toEqual(["Patient/adult", "Patient/child"]);
    const rx4 = await json<Bundle>(await e.as("rx4", "/fhir/EpisodeOfCare?_include=EpisodeOfCare:care-manager"));
    expect(keys(rx4, "include")).toEqual(["Practitioner/cc1"]);
    // The adult's Observation with a modifier is withheld at summary: not revincluded.
    const rev = await json<Bundle>(
      await e.as(
        "la201s47",
        "/fhir/Patient?_id=adult&_revinclude=Observation:subject&_revinclude=EpisodeOfCare:patient",
      ),
    );
    expect(keys(rev, "include")).toEqual(["EpisodeOfCare/ep-cpa", "Observation/obs-sub"]);
    // Included resources are redacted too.
    const included = rev.entry?.find((x) => x.resource?.id === "obs-sub")?.resource;
    expect(included).not.toHaveProperty("note");
  });

  it("the recording organisation reads its own records whole, as before enforcement", async () => {
    const res = await e.as("rx4", "/fhir/EpisodeOfCare/ep-cpa");
    const ep = await json<Record<string, unknown>>(res);
    expect(ep).toHaveProperty("text");
    expect(res.headers.get("ETag")).toBe('W/"1"');
  });
});

describe("the audit port", () => {
  it("records one entry per request, with each record's decision", async () => {
    const before = e.audit.entries.length;
    await e.as("la201s47", "/fhir/Observation?subject=Patient/adult");
    expect(e.audit.entries.length).toBe(before + 1);
    const entry = lastAudit();
    expect(entry).toMatchObject({
      interaction: "search-type",
      target: "Observation",
      outcome: "partial",
      actor: { org: "201", orgType: "la-childrens-services", role: "practitioner", subject: "user-la201s47" },
    });
    expect(entry.decisions.map((d) => [d.record, d.effect, d.level])).toEqual([
      ["Observation/obs-mod/_history/1", "deny", "none"],
      ["Observation/obs-sub/_history/1", "permit", "summary"],
    ]);
  });

  it("a read is refused with 503 'audit unavailable' when the audit cannot record it", async () => {
    const failing = await enforceApp({
      record: async () => {
        throw new Error("audit store down");
      },
    });
    for (const path of ["/fhir/Patient/adult", "/fhir/Patient", "/fhir/Patient/adult/_history", "/fhir/_history"]) {
      const res = await failing.as("rx4", path);
      expect(res.status, path).toBe(503);
      const body = (await res.json()) as { resourceType: string; issue: { diagnostics: string }[] };
      expect(body.resourceType).toBe("OperationOutcome");
      expect(body.issue[0]?.diagnostics).toMatch(/^audit unavailable/);
      expect(JSON.stringify(body)).not.toMatch(/Testperson|audit store down/);
    }
    await failing.store.close();
  });
});

describe("other ways in", () => {
  const bearer = (token: string, extra: Record<string, string> = {}) => ({
    headers: { Authorization: `Bearer ${token}`, ...extra },
  });

  it("a transaction's GET entry is a read: 404 in its entry for a caller with no relationship", async () => {
    const res = await e.as("la202s47", "/fhir", {
      method: "POST",
      headers: { "Content-Type": "application/fhir+json" },
      body: JSON.stringify({
        resourceType: "Bundle",
        type: "transaction",
        entry: [{ request: { method: "GET", url: "EpisodeOfCare/ep-cpa" } }],
      }),
    });
    const b = await json<{ entry: { response: { status: string }; resource?: unknown }[] }>(res);
    expect(b.entry[0]?.response.status).toMatch(/^404/);
    expect(JSON.stringify(b)).not.toContain("Lead professional");
  });

  it("break-glass with a stated reason: summary, with review and expiry obligations; without a reason, nothing", async () => {
    const claims = { sub: "bg", org: "202", org_type: "la-childrens-services", role: "practitioner" };
    const token = await e.t.issuer.sign({ ...claims, purpose_of_use: "break-glass" });
    await json(await e.t.fhir("/fhir/EpisodeOfCare/ep-cpa", bearer(token)), 404);
    const ep = await json<Record<string, unknown>>(
      await e.t.fhir("/fhir/EpisodeOfCare/ep-cpa", bearer(token, { "X-Access-Reason": "Child found alone at night" })),
    );
    expect(ep).toHaveProperty("careManager");
    expect(ep).not.toHaveProperty("text");
    expect(lastAudit()).toMatchObject({
      rules: ["break-glass"],
      level: "summary",
      // The expiry with its instant (the app's clock + the protocol's PT4H), as the lookups record it.
      obligations: ["expires-after 2031-06-15T14:00:00.000Z", "review-by-safeguarding-lead"],
      reasonGiven: true,
    });
    expect(JSON.stringify(lastAudit())).not.toContain("alone at night");
  });

  it("a reason longer than 1,000 characters is refused with 400, not echoed", async () => {
    const res = await e.as("la201s47", "/fhir/Patient/adult", { headers: { "X-Access-Reason": "x".repeat(1001) } });
    const body = await json<{ issue: { diagnostics: string; expression?: string[] }[] }>(res, 400);
    expect(body.issue[0]?.expression).toEqual(["X-Access-Reason"]);
    expect(JSON.stringify(body)).not.toContain("xxxxxxxxxx");
  });

  it("an objection recorded in a Consent blocks s17 sharing of the adult's records (404), not the recording organisation", async () => {
    const own = await enforceApp();
    await put(
      own.store,
      withOwner(
        {
          resourceType: "Consent",
          id: "objection",
          status: "active",
          scope: {
            coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }],
          },
          patient: { reference: "Patient/adult" },
          provision: { type: "deny" },
        } as DerivedResource,
        "RX4",
      ),
    );
    await json(await own.as("la201s17", "/fhir/EpisodeOfCare/ep-cpa"), 404);
    expect(own.audit.entries.at(-1)).toMatchObject({ rules: ["objection-blocks"], outcome: "deny" });
    expect((await json<Bundle>(await own.as("la201s17", "/fhir/EpisodeOfCare?_summary=count"))).total).toBe(1);
    await json(await own.as("rx4", "/fhir/EpisodeOfCare/ep-cpa"), 200);
    await own.store.close();
  });
});

describe("reads another gate decides (readsDecidedElsewhere)", () => {
  it("skip the protocol only when the request names the type; system history still hides them", async () => {
    const audit = new MemoryAuditSink();
    const service = new ResourceService({
      store: e.store,
      clock: () => NOW,
      newId: () => "x",
      paging: { defaultCount: 10, maxCount: 100 },
      enforcement: new Enforcement({ policy: baselinePolicy(), view: storeView(e.store), audit, clock: () => NOW }),
      readsDecidedElsewhere: new Set(["Practitioner"]),
    });
    const actor: Actor = {
      subject: "u",
      issuer: "https://idp.test.invalid",
      org: "202",
      orgType: "la-childrens-services",
      role: "practitioner",
      purposeOfUse: "safeguarding-s47",
      tokenId: { kind: "jti", value: "t" },
    };
    const reader = service.as(actor);
    expect((await reader.read("Practitioner", "cc1")).id).toBe("cc1");
    expect((await reader.search("Practitioner", [])).page.total).toBe(1);
    await expect(reader.read("Patient", "adult")).rejects.toMatchObject({ status: 404 });
    const system = await reader.historyAcross({ count: 100, until: NOW.toISOString() });
    expect(system.versions.map((v) => v.resourceType)).not.toContain("Practitioner");
    // Without a caller, a service with enforcement reads only the types another gate decides; anything else is 403.
    await expect(service.read("Practitioner", "cc1")).resolves.toBeDefined();
    await expect(service.read("Patient", "adult")).rejects.toMatchObject({ status: 403 });
  });
});
