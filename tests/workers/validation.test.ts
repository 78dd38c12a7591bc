// The generated validators and FHIRPath invariants inside workerd: the same issues as on Node (tests/node/validate-route.test.ts, tests/node/invariants.test.ts).
import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { NHS_NUMBER_SYSTEM, profileUrl } from "../../src/fhir/canonical.js";
import { nhsCheckDigit } from "../../src/fhir/nhs-number.js";
import { validateResource } from "../../src/fhir/validation/index.js";
import { d1Store } from "../../src/store/d1/index.js";
import { INVARIANT_CASES } from "../support/invariant-cases.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

const NINE = "999000004";
const NHS_BAD = `${NINE}${((nhsCheckDigit(NINE) as number) + 1) % 10}`;

/** The invalid Patient of the Node route test: a gender outside its binding, a malformed date, a bad NHS check digit. */
const INVALID = {
  resourceType: "Patient",
  meta: { profile: [profileUrl("TFG-Patient")] },
  text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic patient</div>' },
  identifier: [{ system: NHS_NUMBER_SYSTEM, value: NHS_BAD }],
  gender: "woman",
  birthDate: "31/12/1990",
};

/** What Node reports for INVALID (asserted there too). */
const EXPECTED = [
  {
    severity: "error",
    code: "code-invalid",
    diagnostics: "Code is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender (FHIR R4)",
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
];

let t: TestApp;

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  t = await createTestApp(d1Store(env.DB));
});

describe("generated validators in workerd", () => {
  it("runs in the Workers runtime", () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
  });

  it("gives the same issues as on Node", () => {
    expect(validateResource(INVALID)).toEqual(EXPECTED);
  });

  it("serves POST /fhir/Patient/$validate", async () => {
    const res = await t.fhir("/fhir/Patient/$validate", { method: "POST", json: INVALID });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { issue: unknown[] }).issue).toEqual(EXPECTED);
  });
});

interface Issue {
  severity: string;
  diagnostics: string;
  expression?: string[];
}

const flags = (issues: Issue[], key: string, expression: string) =>
  issues.some(
    (i) =>
      i.severity === "error" && i.diagnostics.includes(`Invariant ${key} failed`) && i.expression?.[0] === expression,
  );

describe.each(INVARIANT_CASES)("invariant $key in workerd", ({ key, resource, expression }) => {
  const type = String(resource.resourceType);

  it(`create refuses it with 422 at ${expression}`, async () => {
    const res = await t.fhir(`/fhir/${type}`, { method: "POST", json: resource });
    const body = (await res.json()) as { issue: Issue[] };
    expect(res.status, JSON.stringify(body)).toBe(422);
    expect(flags(body.issue, key, expression), JSON.stringify(body.issue)).toBe(true);
  });

  it(`$validate flags it at ${expression}`, async () => {
    const res = await t.fhir(`/fhir/${type}/$validate`, { method: "POST", json: resource });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { issue: Issue[] };
    expect(flags(body.issue, key, expression), JSON.stringify(body.issue)).toBe(true);
  });
});
