// Redaction by level, resource by resource (DOMAIN.md §4): what each level shows of the resources the gateway holds.
import { describe, expect, it } from "vitest";
import { profileUrl, TFG_BASE } from "../../src/fhir/canonical.js";
import { redact } from "../../src/policy/redact.js";

const OWNER_TAG = { system: `${TFG_BASE}/CodeSystem/record-owner`, code: "tfg-gateway" };
const keys = (r: object | undefined) => (r ? Object.keys(r).sort() : undefined);

describe("redact", () => {
  const flag = {
    resourceType: "Flag",
    id: "f1",
    meta: {
      versionId: "2",
      source: "urn:tfg:derived:flags",
      tag: [OWNER_TAG],
      profile: [profileUrl("TFG-SafeguardingFlag")],
    },
    status: "active",
    code: { coding: [{ system: `${TFG_BASE}/CodeSystem/flag-code`, code: "child-protection-plan" }] },
    subject: { reference: "Patient/p1" },
    period: { start: "2026-01-05" },
  };

  it("a Flag's existence is shown where its content is not", () => {
    expect(redact(flag, "existence")).toEqual({
      resourceType: "Flag",
      id: "f1",
      meta: { versionId: "2", tag: [OWNER_TAG], profile: [profileUrl("TFG-SafeguardingFlag")] },
      status: "active",
      subject: { reference: "Patient/p1" },
    });
    expect(redact(flag, "contact")).not.toHaveProperty("code");
    expect(redact(flag, "summary")).toMatchObject({ code: flag.code, period: flag.period });
    expect(redact(flag, "none")).toBeUndefined();
  });

  const patient = {
    resourceType: "Patient",
    id: "p1",
    identifier: [
      {
        system: "https://fhir.nhs.uk/Id/nhs-number",
        value: "9990000018",
        extension: [
          {
            url: "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
            valueCodeableConcept: { text: "verified" },
          },
          { url: "https://example.org/other", valueString: "x" },
        ],
      },
    ],
    name: [{ family: "Testperson" }],
    birthDate: "1985-04-02",
    _birthDate: {
      extension: [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "unknown" }],
    },
    gender: "female",
    address: [{ postalCode: "ZZ99 3AA" }],
    telecom: [{ system: "phone", value: "0000" }],
    extension: [
      { url: `${TFG_BASE}/StructureDefinition/ndtms-consent`, valueBoolean: false },
      { url: `${TFG_BASE}/StructureDefinition/expected-birth-date`, valueDate: "2026-09-01" },
    ],
  };

  it("a Patient: nothing identifying at existence; name and NHS number at contact; age at summary; address only at sensitive", () => {
    expect(keys(redact(patient, "existence"))).toEqual(["id", "resourceType"]);
    const contact = redact(patient, "contact");
    expect(keys(contact)).toEqual(["id", "identifier", "name", "resourceType"]);
    expect(contact?.identifier?.[0]?.extension?.map((e) => e.url)).toEqual([
      "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
    ]);
    const summary = redact(patient, "summary");
    expect(keys(summary)).toEqual([
      "_birthDate",
      "birthDate",
      "extension",
      "gender",
      "id",
      "identifier",
      "name",
      "resourceType",
    ]);
    expect(summary?.extension).toEqual([patient.extension[1]]);
    expect(redact(patient, "sensitive")).toBe(patient);
  });

  it("an Observation's code and value: summary for parental status, sensitive for substance use", () => {
    const obs = (profile: string) => ({
      resourceType: "Observation",
      id: "o1",
      meta: { profile: [profileUrl(profile)] },
      status: "final",
      code: { text: "code" },
      valueCodeableConcept: { text: "value" },
      subject: { reference: "Patient/p1" },
      effectiveDateTime: "2026-01-01",
      note: [{ text: "free text" }],
    });
    expect(keys(redact(obs("TFG-ParentalStatus"), "summary"))).toEqual([
      "code",
      "effectiveDateTime",
      "id",
      "meta",
      "resourceType",
      "status",
      "subject",
      "valueCodeableConcept",
    ]);
    expect(keys(redact(obs("TFG-ProblemSubstanceUse"), "summary"))).toEqual([
      "effectiveDateTime",
      "id",
      "meta",
      "resourceType",
      "status",
      "subject",
    ]);
  });

  it("a household Group: members at summary, never its address key below sensitive", () => {
    const group = {
      resourceType: "Group",
      id: "g1",
      identifier: [{ system: "urn:household-key", value: "uprn:100000000001" }],
      type: "person",
      actual: true,
      member: [
        {
          entity: { reference: "Patient/p1" },
          period: { start: "2020-01-01" },
          extension: [{ url: "u", valueString: "x" }],
        },
      ],
    };
    expect(keys(redact(group, "contact"))).toEqual(["actual", "id", "resourceType", "type"]);
    expect(redact(group, "summary")?.member).toEqual([
      { entity: { reference: "Patient/p1" }, period: { start: "2020-01-01" } },
    ]);
    expect(redact(group, "summary")).not.toHaveProperty("identifier");
  });

  it("a type with no table (AuditEvent, Person) is shown only at sensitive", () => {
    for (const resourceType of ["AuditEvent", "Person", "Task"]) {
      expect(redact({ resourceType, id: "x" }, "summary")).toBeUndefined();
      expect(redact({ resourceType, id: "x" }, "sensitive")).toEqual({ resourceType, id: "x" });
    }
  });
});
