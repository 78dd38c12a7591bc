// The invariant table shared by tests/node/invariants.test.ts and tests/workers/validation.test.ts: one broken resource per invariant, with where it breaks.
import { NHS_NUMBER_SYSTEM, profileUrl, UKCORE } from "../../src/fhir/canonical.js";
import { nhsCheckDigit } from "../../src/fhir/nhs-number.js";

/** One row: `resource` breaks invariant `key` at `expression` (dom-2 cannot be broken without ref-1 too). */
export interface InvariantCase {
  key: string;
  resource: Record<string, unknown>;
  expression: string;
}

const NINE = "999000004";
const NHS_BAD = `${NINE}${((nhsCheckDigit(NINE) as number) + 1) % 10}`;
const LOINC = "http://loinc.org";
const vitalSigns = {
  coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }],
};
const bodyWeight = (extra: Record<string, unknown>) => ({
  resourceType: "Observation",
  meta: { profile: ["http://hl7.org/fhir/StructureDefinition/bodyweight"] },
  status: "final",
  category: [vitalSigns],
  code: { coding: [{ system: LOINC, code: "29463-7" }] },
  subject: { reference: "Patient/p1" },
  effectiveDateTime: "2026-01-02",
  ...extra,
});

/** Every invariant the issue names, plus ele-1, ext-1, a core profile's and the project profiles' own. */
export const INVARIANT_CASES: InvariantCase[] = [
  {
    key: "per-1",
    resource: {
      resourceType: "EpisodeOfCare",
      status: "active",
      patient: { reference: "Patient/p1" },
      period: { start: "2026-03-02", end: "2026-03-01" },
    },
    expression: "EpisodeOfCare.period",
  },
  {
    key: "cpt-2",
    resource: { resourceType: "Patient", telecom: [{ use: "home", value: "01632 960000" }] },
    expression: "Patient.telecom[0]",
  },
  {
    key: "pat-1",
    resource: { resourceType: "Patient", contact: [{ gender: "female" }] },
    expression: "Patient.contact[0]",
  },
  {
    key: "ppc-1",
    resource: {
      resourceType: "Consent",
      status: "active",
      scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
      category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "INFA" }] }],
      patient: { reference: "Patient/p1" },
    },
    expression: "Consent",
  },
  {
    key: "obs-6",
    resource: {
      resourceType: "Observation",
      status: "final",
      code: { text: "Weight" },
      valueString: "heavy",
      dataAbsentReason: {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/data-absent-reason", code: "unknown" }],
      },
    },
    expression: "Observation",
  },
  {
    key: "obs-7",
    resource: {
      resourceType: "Observation",
      status: "final",
      code: { coding: [{ system: LOINC, code: "85354-9" }] },
      valueString: "120/80",
      component: [{ code: { coding: [{ system: LOINC, code: "85354-9" }] }, valueString: "120/80" }],
    },
    expression: "Observation",
  },
  {
    key: "dom-2",
    resource: {
      resourceType: "Patient",
      contained: [
        {
          resourceType: "Organization",
          id: "o1",
          name: "Trust",
          partOf: { reference: "#o2" },
          contained: [{ resourceType: "Organization", id: "o2", name: "Parent" }],
        },
      ],
      managingOrganization: { reference: "#o1" },
    },
    expression: "Patient",
  },
  {
    key: "dom-3",
    resource: { resourceType: "Patient", contained: [{ resourceType: "Organization", id: "o1", name: "Unused" }] },
    expression: "Patient",
  },
  {
    key: "dom-4",
    resource: {
      resourceType: "Patient",
      contained: [{ resourceType: "Organization", id: "o1", meta: { versionId: "3" }, name: "Clinic" }],
      managingOrganization: { reference: "#o1" },
    },
    expression: "Patient",
  },
  {
    key: "ref-1",
    resource: { resourceType: "Patient", managingOrganization: { reference: "#nowhere" } },
    expression: "Patient.managingOrganization",
  },
  {
    key: "grp-1",
    resource: {
      resourceType: "Group",
      type: "person",
      actual: false,
      member: [{ entity: { reference: "Patient/p1" } }],
    },
    expression: "Group",
  },
  {
    key: "ele-1",
    resource: { resourceType: "Patient", telecom: [{ id: "t1" }] },
    expression: "Patient.telecom[0]",
  },
  {
    key: "ext-1",
    resource: { resourceType: "Patient", extension: [{ url: "https://example.org/fhir/StructureDefinition/empty" }] },
    expression: "Patient.extension[0]",
  },
  {
    key: "vs-2",
    resource: bodyWeight({}),
    expression: "Observation",
  },
  {
    key: "vs-3",
    resource: bodyWeight({
      valueQuantity: { value: 70, unit: "kg", system: "http://unitsofmeasure.org", code: "kg" },
      component: [{ code: { coding: [{ system: LOINC, code: "8352-7" }] } }],
    }),
    expression: "Observation.component[0]",
  },
  {
    key: "tfg-nhs-1",
    resource: {
      resourceType: "Patient",
      meta: { profile: [profileUrl("TFG-Patient")] },
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: NHS_BAD }],
    },
    expression: "Patient.identifier[0].value",
  },
  {
    key: "tfg-uprn-1",
    resource: {
      resourceType: "Patient",
      meta: { profile: [profileUrl("TFG-Patient")] },
      identifier: [{ system: "https://example.org/local-id", value: "L1" }],
      address: [
        {
          postalCode: "ZZ99 9ZZ",
          extension: [
            {
              url: UKCORE.addressKeyExtension,
              extension: [
                {
                  url: "type",
                  valueCoding: { system: UKCORE.addressKeyType, code: "UPRN" },
                },
                { url: "value", valueString: "UPRN-1" },
              ],
            },
          ],
        },
      ],
    },
    expression: "Patient.address[0].extension[0].extension[1].valueString",
  },
];
