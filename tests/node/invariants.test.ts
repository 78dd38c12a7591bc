// FHIRPath invariants over HTTP: every row of the invariant table is refused by create (422) and flagged by $validate; transactions and unpaired surrogates too.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { validateResource } from "../../src/fhir/validation/index.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { INVARIANT_CASES } from "../support/invariant-cases.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

interface Issue {
  severity: string;
  code: string;
  diagnostics: string;
  expression?: string[];
}
interface Outcome {
  resourceType: string;
  issue: Issue[];
}

const JSON_TYPE = { "Content-Type": "application/fhir+json" };

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()));
});

const flags = (issues: Issue[], key: string, expression: string) =>
  issues.some(
    (i) =>
      i.severity === "error" && i.diagnostics.includes(`Invariant ${key} failed`) && i.expression?.[0] === expression,
  );

async function count(type: string): Promise<number> {
  const res = await t.fhir(`/fhir/${type}?_count=1`);
  return ((await res.json()) as { total: number }).total;
}

describe.each(INVARIANT_CASES)("invariant $key", ({ key, resource, expression }) => {
  const type = String(resource.resourceType);

  it(`create refuses it with 422 at ${expression}`, async () => {
    const before = await count(type);
    const res = await t.fhir(`/fhir/${type}`, { method: "POST", json: resource });
    const body = (await res.json()) as Outcome;
    expect(res.status, JSON.stringify(body)).toBe(422);
    expect(body.resourceType).toBe("OperationOutcome");
    expect(flags(body.issue, key, expression), JSON.stringify(body.issue)).toBe(true);
    expect(await count(type)).toBe(before);
  });

  it(`$validate flags it at ${expression}`, async () => {
    const res = await t.fhir(`/fhir/${type}/$validate`, { method: "POST", json: resource });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Outcome;
    expect(flags(body.issue, key, expression), JSON.stringify(body.issue)).toBe(true);
  });
});

describe("invariants in transactions", () => {
  it("refuses an entry that breaks one, pointing into the Bundle, and writes nothing", async () => {
    const before = await count("Patient");
    const res = await t.fhir("/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          { request: { method: "POST", url: "Patient" }, resource: { resourceType: "Patient", gender: "male" } },
          {
            request: { method: "POST", url: "Patient" },
            resource: { resourceType: "Patient", contact: [{ gender: "female" }] },
          },
        ],
      },
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as Outcome;
    expect(flags(body.issue, "pat-1", "Bundle.entry[1].resource.contact[0]"), JSON.stringify(body.issue)).toBe(true);
    expect(await count("Patient")).toBe(before);
  });

  it("refuses a urn:uuid reference that matches no entry with 400, and writes nothing", async () => {
    const before = await count("Observation");
    const res = await t.fhir("/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          {
            fullUrl: "urn:uuid:2f4c5a9e-1b7d-4c1e-9a3b-6d2e8f0a1b2c",
            request: { method: "POST", url: "Patient" },
            resource: { resourceType: "Patient", gender: "male" },
          },
          {
            request: { method: "POST", url: "Observation" },
            resource: {
              resourceType: "Observation",
              status: "final",
              code: { text: "Weight" },
              subject: { reference: "urn:uuid:00000000-0000-4000-8000-000000000000" },
            },
          },
        ],
      },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Outcome;
    expect(body.issue[0]?.expression).toEqual(["Bundle.entry[1].resource.subject.reference"]);
    expect(body.issue[0]?.diagnostics).toContain("urn:uuid");
    expect(JSON.stringify(body)).not.toContain("00000000-0000-4000-8000-000000000000");
    expect(await count("Observation")).toBe(before);
  });

  it("still resolves a urn:uuid reference that matches an entry", async () => {
    const res = await t.fhir("/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          {
            fullUrl: "urn:uuid:2f4c5a9e-1b7d-4c1e-9a3b-6d2e8f0a1b2d",
            request: { method: "POST", url: "Patient" },
            resource: { resourceType: "Patient", gender: "male" },
          },
          {
            request: { method: "POST", url: "Observation" },
            resource: {
              resourceType: "Observation",
              status: "final",
              code: { text: "Weight" },
              subject: { reference: "urn:uuid:2f4c5a9e-1b7d-4c1e-9a3b-6d2e8f0a1b2d" },
            },
          },
        ],
      },
    });
    expect(res.status).toBe(200);
  });
});

describe("unpaired surrogates", () => {
  // JSON text with a lone high surrogate escape: valid JSON, not valid Unicode text.
  const body = '{"resourceType":"Patient","name":[{"family":"Smi\\ud800th"}]}';

  it("create refuses them with the element path", async () => {
    const res = await t.fhir("/fhir/Patient", { method: "POST", body, headers: JSON_TYPE });
    expect(res.status).toBe(422);
    const outcome = (await res.json()) as Outcome;
    expect(outcome.issue).toEqual([
      expect.objectContaining({ severity: "error", code: "value", expression: ["Patient.name[0].family"] }),
    ]);
    expect(JSON.stringify(outcome)).not.toContain("Smi");
  });

  it("$validate flags them; a paired surrogate (an emoji) is fine", async () => {
    const res = await t.fhir("/fhir/Patient/$validate", { method: "POST", body, headers: JSON_TYPE });
    const outcome = (await res.json()) as Outcome;
    expect(outcome.issue).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: "value", expression: ["Patient.name[0].family"] })]),
    );
    const ok = await t.fhir("/fhir/Patient", {
      method: "POST",
      body: '{"resourceType":"Patient","name":[{"family":"Smith \\ud83d\\ude00"}]}',
      headers: JSON_TYPE,
    });
    expect(ok.status).toBe(201);
  });
});

describe("unpaired surrogates (property)", () => {
  const text = fc.string({ unit: "binary", maxLength: 20 });
  const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

  it("any string with an unpaired surrogate is refused at its element; well-formed text never is", () => {
    fc.assert(
      fc.property(text, lone, text, fc.boolean(), (a, s, b, inGiven) => {
        const bad = `${a}x${s}x${b}`;
        const name = inGiven ? { family: "Smith", given: ["Ann", bad] } : { family: bad };
        const at = inGiven ? "Patient.name[0].given[1]" : "Patient.name[0].family";
        const issues = validateResource({ resourceType: "Patient", name: [name] });
        expect(issues.filter((i) => i.diagnostics.includes("surrogate")).map((i) => i.expression)).toEqual([[at]]);
        const good = validateResource({ resourceType: "Patient", name: [{ family: `${a}x${b}` }] });
        expect(good.some((i) => i.diagnostics.includes("surrogate"))).toBe(false);
      }),
    );
  });
});
