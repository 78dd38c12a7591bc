// POST /fhir/{type}/$validate over HTTP (app.request): valid and invalid resources, Parameters bodies, request errors, CapabilityStatement.
import { beforeAll, describe, expect, it } from "vitest";
import { NHS_NUMBER_SYSTEM, PROFILES, profileUrl } from "../../src/fhir/canonical.js";
import { nhsCheckDigit } from "../../src/fhir/nhs-number.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

interface Outcome {
  resourceType: string;
  issue: { severity: string; code: string; diagnostics: string; expression?: string[] }[];
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()));
});

const NINE = "999000004";
const NHS = `${NINE}${nhsCheckDigit(NINE)}`;
const NHS_BAD = `${NINE}${((nhsCheckDigit(NINE) as number) + 1) % 10}`;

/** Narrative, so that the best-practice warning dom-6 (no narrative) does not appear. */
const text = { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic patient</div>' };

const patient = (nhs: string) => ({
  resourceType: "Patient",
  meta: { profile: [profileUrl("TFG-Patient")] },
  text,
  identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhs }],
  gender: "female",
});

async function validate(path: string, json: unknown, init: RequestInit = {}) {
  const res = await t.fhir(path, { method: "POST", json, ...init });
  expect(res.headers.get("Content-Type")).toContain("application/fhir+json");
  return { status: res.status, body: (await res.json()) as Outcome };
}

describe("POST /fhir/{type}/$validate", () => {
  it("answers 200 with one informational issue for a valid resource", async () => {
    const { status, body } = await validate("/fhir/Patient/$validate", patient(NHS));
    expect(status).toBe(200);
    expect(body).toEqual({
      resourceType: "OperationOutcome",
      issue: [{ severity: "information", code: "informational", diagnostics: "No issues found" }],
    });
  });

  it("answers 200 with every issue for an invalid resource, without quoting its values", async () => {
    const invalid = { ...patient(NHS_BAD), gender: "woman", birthDate: "31/12/1990" };
    const { status, body } = await validate("/fhir/Patient/$validate", invalid);
    expect(status).toBe(200);
    expect(body.issue).toEqual([
      {
        severity: "error",
        code: "code-invalid",
        diagnostics:
          "Code is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender (FHIR R4)",
        expression: ["Patient.gender"],
      },
      {
        severity: "error",
        code: "value",
        diagnostics: "Not a valid FHIR date (expected YYYY, YYYY-MM or YYYY-MM-DD) (FHIR R4)",
        expression: ["Patient.birthDate"],
      },
      {
        severity: "error",
        code: "value",
        diagnostics:
          "Invariant tfg-nhs-1 failed: NHS number must be ten digits with a valid modulus-11 check digit (profile TFG-Patient)",
        expression: ["Patient.identifier[0].value"],
      },
    ]);
    const text = JSON.stringify(body);
    for (const value of [NHS_BAD, "woman", "31/12/1990"]) expect(text).not.toContain(value);
  });

  it("reports the best-practice invariant dom-6 (no narrative) as a warning", async () => {
    const { text: _, ...bare } = patient(NHS);
    const { status, body } = await validate("/fhir/Patient/$validate", bare);
    expect(status).toBe(200);
    expect(body.issue).toEqual([
      {
        severity: "warning",
        code: "invariant",
        diagnostics: "Invariant dom-6 failed: A resource should have narrative for robust management (FHIR R4)",
        expression: ["Patient"],
      },
    ]);
  });

  it("validates resource types the gateway does not serve (every R4 type)", async () => {
    const basic = { resourceType: "Basic", text, code: { text: "note" } };
    expect((await validate("/fhir/Basic/$validate", basic)).body.issue).toEqual([
      expect.objectContaining({ severity: "information", code: "informational" }),
    ]);
    const broken = await validate("/fhir/Basic/$validate", { resourceType: "Basic", text, subject: {} });
    expect(broken.status).toBe(200);
    expect(broken.body.issue).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: "required", expression: ["Basic.code"] })]),
    );
    const bundle = {
      resourceType: "Bundle",
      type: "collection",
      entry: [{ resource: { resourceType: "Patient", text, contact: [{ gender: "male" }] } }],
    };
    const b = await validate("/fhir/Bundle/$validate", bundle);
    expect(b.body.issue).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "invariant",
        expression: ["Bundle.entry[0].resource.contact[0]"],
        diagnostics: expect.stringContaining("pat-1"),
      }),
    ]);
  });

  it("accepts the percent-encoded operation name", async () => {
    const { status, body } = await validate("/fhir/Patient/%24validate", patient(NHS_BAD));
    expect(status).toBe(200);
    expect(body.issue[0]?.expression).toEqual(["Patient.identifier[0].value"]);
  });

  it("takes a Parameters body with resource and profile parameters", async () => {
    const unprofiled = { resourceType: "Patient", text, identifier: [{ system: NHS_NUMBER_SYSTEM, value: NHS_BAD }] };
    const without = await validate("/fhir/Patient/$validate", {
      resourceType: "Parameters",
      parameter: [{ name: "resource", resource: unprofiled }],
    });
    expect(without.body.issue).toEqual([expect.objectContaining({ severity: "information" })]);

    const withProfile = await validate("/fhir/Patient/$validate", {
      resourceType: "Parameters",
      parameter: [
        { name: "resource", resource: unprofiled },
        { name: "mode", valueCode: "create" },
        { name: "profile", valueUri: profileUrl("TFG-Patient") },
      ],
    });
    expect(withProfile.status).toBe(200);
    expect(withProfile.body.issue).toEqual([
      expect.objectContaining({ severity: "error", code: "value", expression: ["Patient.identifier[0].value"] }),
    ]);
  });

  it("takes the profile as a query parameter too", async () => {
    const unprofiled = { resourceType: "Patient", text, gender: "male" };
    const { body } = await validate(
      `/fhir/Patient/$validate?profile=${encodeURIComponent(profileUrl("TFG-Patient"))}`,
      unprofiled,
    );
    expect(body.issue).toEqual([expect.objectContaining({ code: "required", expression: ["Patient.identifier"] })]);
  });

  it("reports an unknown profile as an error issue", async () => {
    const { status, body } = await validate("/fhir/Patient/$validate", {
      resourceType: "Parameters",
      parameter: [
        { name: "resource", resource: patient(NHS) },
        { name: "profile", valueCanonical: "https://example.org/fhir/StructureDefinition/Unknown" },
      ],
    });
    expect(status).toBe(200);
    expect(body.issue).toEqual([expect.objectContaining({ severity: "error", code: "not-supported" })]);
  });

  it("refuses requests it cannot read: wrong type, no resource, unsupported mode, unknown type, no token", async () => {
    expect((await validate("/fhir/Observation/$validate", patient(NHS))).status).toBe(400);
    expect((await validate("/fhir/Patient/$validate", { resourceType: "Parameters", parameter: [] })).status).toBe(400);
    const del = await validate("/fhir/Patient/$validate", {
      resourceType: "Parameters",
      parameter: [
        { name: "resource", resource: patient(NHS) },
        { name: "mode", valueCode: "delete" },
      ],
    });
    expect(del.status).toBe(400);
    expect((await validate("/fhir/NotAType/$validate", { resourceType: "NotAType" })).status).toBe(404);
    const anonymous = await t.app.request("http://gw.test/fhir/Patient/$validate", {
      method: "POST",
      headers: { "Content-Type": "application/fhir+json" },
      body: JSON.stringify(patient(NHS)),
    });
    expect(anonymous.status).toBe(401);
  });

  it("stores nothing", async () => {
    await validate("/fhir/Patient/$validate", { ...patient(NHS), id: "validate-only" });
    expect((await t.fhir("/fhir/Patient/validate-only")).status).toBe(404);
  });
});

describe("CapabilityStatement", () => {
  it("lists $validate and the supported profiles of each type", async () => {
    const cs = (await (await t.app.request("http://gw.test/fhir/metadata")).json()) as {
      rest: {
        resource: { type: string; supportedProfile?: string[]; operation?: { name: string; definition: string }[] }[];
      }[];
    };
    const resources = cs.rest[0]?.resource ?? [];
    for (const r of resources) {
      // $validate on every type, listed first; Patient also has the family lookups (docs/LOOKUPS.md).
      expect(r.operation?.[0]).toEqual(
        expect.objectContaining({
          name: "validate",
          definition: "http://hl7.org/fhir/OperationDefinition/Resource-validate",
        }),
      );
      expect(r.operation?.slice(1).map((o) => o.name)).toEqual(
        r.type === "Patient" ? ["everything", "household-check", "family"] : [],
      );
    }
    const expected: Record<string, string[]> = {};
    for (const [name, type] of Object.entries(PROFILES)) expected[type] = [...(expected[type] ?? []), profileUrl(name)];
    const listed = Object.fromEntries(
      resources.filter((r) => r.supportedProfile).map((r) => [r.type, [...(r.supportedProfile ?? [])].sort()]),
    );
    expect(listed).toEqual(Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, v.sort()])));
  });
});
