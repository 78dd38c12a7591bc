// Resource validation: per-profile valid examples and broken variants, the HL7 R4 examples, the golden mapping output, and arbitrary input.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadDefinitions } from "../../scripts/validators/definitions.js";
import { buildProfileLayer } from "../../scripts/validators/profile-schemas.js";
import {
  codeSystemUrl,
  HL7,
  LOCAL_ID,
  NHS_NUMBER_SYSTEM,
  ODS_ORGANIZATION_SYSTEM,
  PROFILES,
  profileUrl,
  TFG_BASE,
  UKCORE,
} from "../../src/fhir/canonical.js";
import type { FhirIssue } from "../../src/fhir/errors.js";
import { nhsCheckDigit } from "../../src/fhir/nhs-number.js";
import { RESOURCE_TYPES } from "../../src/fhir/resource-types.js";
import { PROFILE_CATALOG, validateBase, validateResource } from "../../src/fhir/validation/index.js";

type Json = Record<string, unknown>;

/** The n-th synthetic NHS number (999 000 0000 – 999 999 9999) with a valid check digit. */
function nhsNumber(n: number): string {
  let found = 0;
  for (let i = 1; ; i++) {
    const nine = `999${String(i).padStart(6, "0")}`;
    const check = nhsCheckDigit(nine);
    if (check !== undefined && ++found === n) return `${nine}${check}`;
  }
}
const NHS = nhsNumber(3);
/** The same number with a wrong check digit. */
const NHS_BAD = `${NHS.slice(0, 9)}${(Number(NHS[9]) + 1) % 10}`;

const cc = (id: string, code: string) => ({ coding: [{ system: codeSystemUrl(id), code }] });
const ext = (name: string) => `${TFG_BASE}/StructureDefinition/${name}`;
const meta = (profile: keyof typeof PROFILES) => ({ profile: [profileUrl(profile)], source: "urn:tfg:source:cpa" });
const org = (value: string) => ({ identifier: { system: "https://fhir.nhs.uk/Id/ods-organization-code", value } });
const ref = (reference: string) => ({ reference });
/** UK Core NHS number verification status (England code). */
const nhsStatus = (code: string) => ({
  url: UKCORE.nhsNumberVerificationStatusExtension,
  valueCodeableConcept: { coding: [{ system: UKCORE.nhsNumberVerificationStatusEngland, code }] },
});
/** The data-absent-reason extension that stands for a value the source did not give. */
const absent = () => ({ extension: [{ url: HL7.dataAbsentReasonExtension, valueCode: "unknown" }] });
/** The R4 extension linking an NDTMS Observation to its treatment episode. */
const episodeLink = () => ({ url: HL7.episodeOfCareExtension, valueReference: { reference: "EpisodeOfCare/ndtms-1" } });
const ndtmsMeta = (profile: keyof typeof PROFILES) => ({
  profile: [profileUrl(profile)],
  source: "urn:tfg:source:ndtms",
});

/** Identifiable values used in the examples: none may ever appear in a diagnostic. */
const IDENTIFIABLE = [NHS, NHS_BAD, "Testperson", "Alexa", "1988-03-14", "ZZ99 3AA", "900000000101", "LOCAL-77"];

/** A valid example per profile (synthetic data only). */
const EXAMPLES: Record<keyof typeof PROFILES, () => Json> = {
  "TFG-Patient": () => ({
    resourceType: "Patient",
    meta: meta("TFG-Patient"),
    extension: [
      { url: ext("ndtms-consent"), valueBoolean: true },
      {
        url: UKCORE.ethnicCategoryExtension,
        valueCodeableConcept: { coding: [{ system: UKCORE.ethnicCategoryEngland, code: "A" }] },
      },
      { url: ext("disability"), valueCodeableConcept: cc("cin-disability", "AUT") },
      {
        url: HL7.nationalityExtension,
        extension: [{ url: "code", valueCodeableConcept: { coding: [{ system: HL7.iso3166, code: "GBR" }] } }],
      },
      { url: ext("upn-unknown-reason"), valueCodeableConcept: cc("cin-upn-unknown", "UN2") },
    ],
    identifier: [
      { system: LOCAL_ID.mhsdsPatient("RX4"), value: "LOCAL-77", assigner: org("RX4") },
      { extension: [nhsStatus("01")], system: NHS_NUMBER_SYSTEM, value: NHS },
    ],
    name: [{ use: "official", family: "Testperson", given: ["Alexa"] }],
    gender: "female",
    birthDate: "1988-03-14",
    generalPractitioner: [{ type: "Organization", identifier: { system: ODS_ORGANIZATION_SYSTEM, value: "Z99001" } }],
    address: [
      {
        extension: [
          {
            url: UKCORE.addressKeyExtension,
            extension: [
              { url: "type", valueCoding: { system: UKCORE.addressKeyType, code: "UPRN" } },
              { url: "value", valueString: "900000000101" },
            ],
          },
        ],
        postalCode: "ZZ99 3AA",
      },
    ],
  }),
  "TFG-Household": () => ({
    resourceType: "Group",
    meta: meta("TFG-Household"),
    type: "person",
    actual: true,
    member: [{ entity: ref("Patient/adult-1") }, { entity: ref("Patient/child-1") }],
  }),
  "TFG-FamilyRelationship": () => ({
    resourceType: "RelatedPerson",
    meta: meta("TFG-FamilyRelationship"),
    extension: [
      { url: ext("related-patient"), valueReference: ref("Patient/adult-1") },
      { url: ext("lives-with"), valueBoolean: true },
      { url: ext("parental-responsibility"), valueBoolean: true },
    ],
    patient: ref("Patient/child-1"),
    relationship: [cc("relationship", "parent")],
  }),
  "TFG-ParentalStatus": () => ({
    resourceType: "Observation",
    meta: meta("TFG-ParentalStatus"),
    status: "final",
    code: cc("observation-code", "parental-status"),
    subject: ref("Patient/adult-1"),
    effectiveDateTime: "2026-06-01",
    valueCodeableConcept: {
      coding: [
        { system: codeSystemUrl("parental-status"), code: "children-in-household" },
        { system: codeSystemUrl("ndtms-prntstat"), code: "11" },
      ],
    },
    component: [
      { code: cc("observation-code", "children-in-household-count"), valueInteger: 2 },
      {
        code: cc("observation-code", "pregnancy-status"),
        valueCodeableConcept: cc("pregnancy-status", "not-pregnant"),
      },
    ],
  }),
  "TFG-CPAEpisode": () => ({
    resourceType: "EpisodeOfCare",
    meta: meta("TFG-CPAEpisode"),
    identifier: [{ system: LOCAL_ID.mhsdsCpaEpisode("RX4"), value: "CPA1" }],
    status: "active",
    type: [cc("episode-type", "cpa")],
    patient: ref("Patient/adult-1"),
    managingOrganization: org("RX4"),
    period: { start: "2025-01-01" },
    careManager: ref("Practitioner/cc-1"),
    team: [ref("CareTeam/team-1")],
  }),
  "TFG-TreatmentEpisode": () => ({
    resourceType: "EpisodeOfCare",
    meta: meta("TFG-TreatmentEpisode"),
    extension: [
      {
        url: ext("episode-milestone"),
        extension: [
          { url: "type", valueCoding: { system: codeSystemUrl("episode-milestone"), code: "referral" } },
          { url: "date", valueDate: "2026-01-10" },
        ],
      },
      { url: ext("problem-substance"), valueCodeableConcept: cc("ndtms-drug", "1011") },
      { url: ext("treatment-modality"), valueCodeableConcept: cc("ndtms-modality", "4") },
      { url: ext("episode-end-reason"), valueCodeableConcept: cc("ndtms-modexit", "A") },
      { url: ext("area-of-residence"), valueReference: { identifier: { system: LOCAL_ID.ndtmsDat, value: "Z91" } } },
      {
        url: ext("area-of-residence"),
        valueReference: { identifier: { system: ODS_ORGANIZATION_SYSTEM, value: "ZZ1" } },
      },
    ],
    identifier: [{ system: LOCAL_ID.ndtmsEpisode("N0852"), value: "E1" }],
    status: "finished",
    type: [cc("episode-type", "drug-alcohol-treatment")],
    patient: ref("Patient/adult-1"),
    managingOrganization: { identifier: { system: `${TFG_BASE}/Id/ndtms-agency`, value: "N0852" } },
    period: { start: "2026-01-10", end: "2026-03-01" },
    referralRequest: [ref("ServiceRequest/ndtms-referral-1")],
  }),
  "TFG-ChildrensSocialCareEpisode": () => ({
    resourceType: "EpisodeOfCare",
    meta: meta("TFG-ChildrensSocialCareEpisode"),
    extension: [
      { url: ext("primary-need"), valueCodeableConcept: cc("cin-primary-need", "N1") },
      { url: ext("episode-end-reason"), valueCodeableConcept: cc("cin-reason-for-closure", "RC8") },
    ],
    identifier: [{ system: `${TFG_BASE}/Id/cin-episode/201`, value: "CH1/2025-09-01" }],
    status: "finished",
    type: [cc("episode-type", "child-in-need")],
    patient: ref("Patient/child-1"),
    managingOrganization: { identifier: { system: `${TFG_BASE}/Id/la-code`, value: "201" } },
    period: { start: "2025-09-01", end: "2025-10-01" },
    referralRequest: [ref("ServiceRequest/ref-1")],
  }),
  "TFG-LookedAfterEpisode": () => ({
    resourceType: "EpisodeOfCare",
    meta: meta("TFG-LookedAfterEpisode"),
    extension: [
      { url: ext("primary-need"), valueCodeableConcept: cc("cin-primary-need", "N1") },
      { url: ext("cla-start-reason"), valueCodeableConcept: cc("cla-start-reason", "S") },
      { url: ext("cla-ceased-reason"), valueCodeableConcept: cc("cla-ceased-reason", "E13") },
    ],
    identifier: [{ system: `${TFG_BASE}/Id/ssd-cla-episode/201`, value: "CLA1" }],
    status: "finished",
    type: [cc("episode-type", "looked-after")],
    patient: ref("Patient/child-1"),
    managingOrganization: { identifier: { system: `${TFG_BASE}/Id/la-code`, value: "201" } },
    period: { start: "2025-05-01", end: "2025-11-01" },
    referralRequest: [ref("ServiceRequest/ref-1")],
  }),
  "TFG-ChildProtectionPlan": () => ({
    resourceType: "CarePlan",
    meta: meta("TFG-ChildProtectionPlan"),
    extension: [
      {
        url: ext("category-of-abuse"),
        extension: [
          { url: "initial", valueCodeableConcept: cc("cin-category-of-abuse", "NEG") },
          { url: "latest", valueCodeableConcept: cc("cin-category-of-abuse", "EMO") },
        ],
      },
      { url: ext("previous-plans"), valueInteger: 0 },
      { url: ext("review-date"), valueDate: "2026-01-15" },
    ],
    status: "active",
    intent: "plan",
    category: [cc("episode-type", "child-protection")],
    subject: ref("Patient/child-1"),
    period: { start: "2025-10-20" },
  }),
  "TFG-AssessmentFactor": () => ({
    resourceType: "Observation",
    meta: meta("TFG-AssessmentFactor"),
    status: "final",
    code: cc("observation-code", "cin-assessment-factor"),
    subject: ref("Patient/child-1"),
    encounter: ref("Encounter/assessment-1"),
    effectiveDateTime: "2025-10-01",
    valueCodeableConcept: cc("cin-assessment-factor", "4B"),
    component: [
      {
        code: cc("observation-code", "cin-factor-subject"),
        valueCodeableConcept: cc("factor-subject", "parent-carer"),
      },
    ],
  }),
  "TFG-ChildrensServicesReferral": () => ({
    resourceType: "ServiceRequest",
    meta: meta("TFG-ChildrensServicesReferral"),
    extension: [
      { url: ext("referral-source"), valueCodeableConcept: cc("cin-referral-source", "3A") },
      { url: ext("referral-outcome"), valueCodeableConcept: cc("referral-outcome", "assessment") },
    ],
    status: "completed",
    intent: "order",
    code: { text: "Referral to children's social care" },
    subject: ref("Patient/child-1"),
    authoredOn: "2025-09-01",
  }),
  "TFG-AdultServiceEvent": () => ({
    resourceType: "Encounter",
    meta: meta("TFG-AdultServiceEvent"),
    status: "finished",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "IMP" },
    type: [cc("service-event-type", "admission")],
    subject: ref("Patient/adult-1"),
    episodeOfCare: [ref("EpisodeOfCare/cpa-1")],
    period: { start: "2026-02-01T09:30:00Z" },
  }),
  "TFG-ChildrensSocialCareEvent": () => ({
    resourceType: "Encounter",
    meta: meta("TFG-ChildrensSocialCareEvent"),
    extension: [
      { url: ext("icpc-not-required"), valueBoolean: false },
      { url: ext("initial-cpc-target"), valueDate: "2025-09-30" },
    ],
    status: "finished",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "FLD" },
    type: [cc("cin-activity", "section-47-enquiry")],
    subject: ref("Patient/child-1"),
    episodeOfCare: [ref("EpisodeOfCare/cin-1")],
    period: { start: "2025-09-10", end: "2025-09-24" },
  }),
  "TFG-MentalHealthReferral": () => ({
    resourceType: "ServiceRequest",
    meta: meta("TFG-MentalHealthReferral"),
    extension: [{ url: ext("referral-source"), valueCodeableConcept: cc("mhsds-source-of-referral", "A1") }],
    identifier: [{ system: LOCAL_ID.mhsdsReferral("RX4"), value: "SR1" }],
    status: "active",
    intent: "order",
    code: { text: "Referral to mental health services" },
    reasonCode: [cc("mhsds-referral-reason", "10")],
    performerType: cc("mhsds-team-type", "A06"),
    subject: ref("Patient/adult-1"),
    authoredOn: "2025-01-05",
    occurrencePeriod: { start: "2025-01-05" },
  }),
  "TFG-YoungCarer": () => ({
    resourceType: "Observation",
    meta: meta("TFG-YoungCarer"),
    status: "final",
    code: cc("observation-code", "young-carer"),
    subject: ref("Patient/child-1"),
    effectiveDateTime: "2026-06-01",
    valueBoolean: true,
    note: [{ text: "Recorded in a parent's CPA household assessment" }],
  }),
  "TFG-ChildProtectionPlanIndication": () => ({
    resourceType: "Observation",
    meta: meta("TFG-ChildProtectionPlanIndication"),
    status: "final",
    code: cc("observation-code", "child-protection-plan-indication"),
    subject: ref("Patient/adult-1"),
    _effectiveDateTime: {
      extension: [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "unknown" }],
    },
    valueCodeableConcept: cc("mhsds-cpp-indication", "2"),
  }),
  "TFG-NdtmsEarlyHelpItem": () => ({
    resourceType: "Observation",
    meta: { profile: [profileUrl("TFG-NdtmsEarlyHelpItem")], source: "urn:tfg:source:ndtms" },
    extension: [{ url: HL7.episodeOfCareExtension, valueReference: ref("EpisodeOfCare/ndtms-1") }],
    status: "final",
    code: cc("observation-code", "ndtms-ehcsc2"),
    subject: ref("Patient/adult-1"),
    effectiveDateTime: "2026-01-12",
    valueCodeableConcept: cc("ndtms-ehcsc", "1"),
  }),
  "TFG-ChildrensServicesInvolvement": () => ({
    resourceType: "Observation",
    meta: meta("TFG-ChildrensServicesInvolvement"),
    status: "final",
    code: cc("observation-code", "childrens-services-involvement"),
    subject: ref("Patient/child-1"),
    effectiveDateTime: "2026-06-01",
    valueCodeableConcept: { coding: [{ system: HL7.yesNo, code: "Y" }] },
    note: [{ text: "Recorded in a parent's CPA household assessment" }],
    component: [
      { code: cc("observation-code", "childrens-services-la"), valueString: "201" },
      {
        code: cc("observation-code", "childrens-services-type"),
        valueCodeableConcept: cc("childrens-services-type", "CP"),
      },
    ],
  }),
  "TFG-ProblemSubstanceUse": () => ({
    resourceType: "Observation",
    meta: ndtmsMeta("TFG-ProblemSubstanceUse"),
    extension: [episodeLink()],
    status: "final",
    code: cc("observation-code", "problem-substance-use"),
    subject: ref("Patient/adult-1"),
    effectiveDateTime: "2026-01-12",
    valueCodeableConcept: cc("ndtms-drug", "1011"),
    component: [
      {
        code: cc("observation-code", "age-at-first-use"),
        valueQuantity: { value: 19, unit: "years", system: HL7.ucum, code: "a" },
      },
      { code: cc("observation-code", "route-of-use"), valueCodeableConcept: cc("ndtms-route", "3") },
    ],
  }),
  "TFG-AlcoholUse": () => ({
    resourceType: "Observation",
    meta: ndtmsMeta("TFG-AlcoholUse"),
    extension: [episodeLink()],
    status: "final",
    code: cc("observation-code", "alcohol-use"),
    subject: ref("Patient/adult-1"),
    effectiveDateTime: "2026-01-12",
    component: [
      { code: cc("observation-code", "drinking-days"), valueInteger: 12 },
      { code: cc("observation-code", "alcohol-units"), valueInteger: 30 },
    ],
  }),
  "TFG-NdtmsClientItem": () => ({
    resourceType: "Observation",
    meta: ndtmsMeta("TFG-NdtmsClientItem"),
    extension: [episodeLink()],
    status: "final",
    code: cc("observation-code", "injecting-status"),
    subject: ref("Patient/adult-1"),
    effectiveDateTime: "2026-01-12",
    valueCodeableConcept: cc("ndtms-injstat", "P"),
  }),
  "TFG-TreatmentReferral": () => ({
    resourceType: "ServiceRequest",
    meta: ndtmsMeta("TFG-TreatmentReferral"),
    extension: [{ url: ext("referral-source"), valueCodeableConcept: cc("ndtms-referral-source", "2") }],
    status: "completed",
    intent: "order",
    code: { text: "Referral to drug and alcohol treatment" },
    subject: ref("Patient/adult-1"),
    authoredOn: "2026-01-10",
    performer: [{ identifier: { system: LOCAL_ID.ndtmsAgency, value: "N0852" } }],
  }),
  "TFG-CareCoordinator": () => ({
    resourceType: "Practitioner",
    meta: meta("TFG-CareCoordinator"),
    identifier: [{ system: LOCAL_ID.mhsdsCareProfessional("RX4"), value: "LOCAL-77" }],
    name: [{ text: "Alexa Testperson" }],
    telecom: [{ system: "phone", value: "0113 496 0000", use: "work" }],
  }),
  "TFG-CareTeam": () => ({
    resourceType: "CareTeam",
    meta: meta("TFG-CareTeam"),
    identifier: [{ system: `${TFG_BASE}/Id/mhsds-team/RX4`, value: "T1" }],
    status: "active",
    category: [cc("mhsds-team-type", "A06")],
    name: "North CMHT",
    managingOrganization: [org("RX4")],
  }),
  "TFG-SafeguardingFlag": () => ({
    resourceType: "Flag",
    meta: meta("TFG-SafeguardingFlag"),
    status: "active",
    code: cc("flag-code", "household-has-children"),
    subject: ref("Patient/adult-1"),
    period: { start: "2026-06-01" },
  }),
  "TFG-Consent": () => ({
    resourceType: "Consent",
    meta: meta("TFG-Consent"),
    status: "active",
    scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
    category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "INFA" }] }],
    patient: ref("Patient/adult-1"),
    policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTOUT" }] },
    provision: { type: "deny" },
  }),
  "TFG-AuditEvent": () => ({
    resourceType: "AuditEvent",
    meta: meta("TFG-AuditEvent"),
    type: { system: "http://dicom.nema.org/resources/ontology/DCM", code: "110110" },
    recorded: "2026-06-01T10:00:00.000Z",
    purposeOfEvent: [cc("purpose-of-use", "direct-care")],
    agent: [{ requestor: true, who: org("RX4") }],
    source: { observer: { display: "Think Family Gateway" } },
  }),
  "TFG-Provenance": () => ({
    resourceType: "Provenance",
    meta: meta("TFG-Provenance"),
    target: [ref("Patient/adult-1")],
    recorded: "2026-06-01T10:00:00.000Z",
    agent: [{ who: { display: "Think Family Gateway ingest (cpa)" } }],
    entity: [
      {
        role: "source",
        what: { identifier: { system: "urn:tfg:source-record:cpa", value: "RX4/P001" }, display: "cpa-mhsds@1.0.0" },
      },
    ],
  }),
};

/** A broken variant: what to change, and the issue it must produce. */
interface Broken {
  name: string;
  change: (r: Json) => void;
  expression: string;
  code: FhirIssue["code"];
  /** The offending value, when it is text: it must not appear in any diagnostic. */
  value?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: test mutations reach into plain JSON.
type Any = any;
const set = (path: string, value: unknown) => (r: Json) => {
  const keys = path.split(".");
  let at: Any = r;
  for (const k of keys.slice(0, -1)) at = at[k];
  at[keys[keys.length - 1] as string] = value;
};
const drop = (path: string) => (r: Json) => {
  const keys = path.split(".");
  let at: Any = r;
  for (const k of keys.slice(0, -1)) at = at[k];
  delete at[keys[keys.length - 1] as string];
};

const BROKEN: Record<keyof typeof PROFILES, Broken[]> = {
  "TFG-Patient": [
    { name: "no identifier", change: drop("identifier"), expression: "Patient.identifier", code: "required" },
    {
      name: "identifier without system",
      change: drop("identifier.0.system"),
      expression: "Patient.identifier[0].system",
      code: "required",
    },
    {
      name: "NHS number with a bad check digit",
      change: set("identifier.1.value", NHS_BAD),
      expression: "Patient.identifier[1].value",
      code: "value",
      value: NHS_BAD,
    },
    {
      name: "NHS number with spaces",
      change: set("identifier.1.value", `${NHS.slice(0, 3)} ${NHS.slice(3, 6)} ${NHS.slice(6)}`),
      expression: "Patient.identifier[1].value",
      code: "value",
    },
    {
      name: "two NHS numbers",
      change: (r) => (r.identifier as Json[]).push({ system: NHS_NUMBER_SYSTEM, value: nhsNumber(4) }),
      expression: "Patient.identifier",
      code: "structure",
      value: nhsNumber(4),
    },
    {
      name: "address key of type PAF",
      change: set("address.0.extension.0.extension.0.valueCoding.code", "PAF"),
      expression: "Patient.address[0].extension[0].extension[0].valueCoding",
      code: "value",
    },
    {
      name: "UPRN with letters",
      change: set("address.0.extension.0.extension.1.valueString", "UPRN12X"),
      expression: "Patient.address[0].extension[0].extension[1].valueString",
      code: "value",
      value: "UPRN12X",
    },
    {
      name: "gender outside its required binding (R4)",
      change: set("gender", "woman"),
      expression: "Patient.gender",
      code: "code-invalid",
      value: "woman",
    },
    {
      name: "impossible birth date (R4)",
      change: set("birthDate", "1988-13-14"),
      expression: "Patient.birthDate",
      code: "value",
      value: "1988-13-14",
    },
    {
      name: "ndtms-consent as text",
      change: set("extension.0", { url: ext("ndtms-consent"), valueString: "Yesplease" }),
      expression: "Patient.extension[0].value[x]",
      code: "structure",
      value: "Yesplease",
    },
    {
      name: "disability outside cin-disability",
      change: set("extension.2.valueCodeableConcept", cc("cin-disability", "WOBBLY")),
      expression: "Patient.extension[2].valueCodeableConcept",
      code: "code-invalid",
      value: "WOBBLY",
    },
    {
      name: "disability as text",
      change: set("extension.2", { url: ext("disability"), valueString: "Autismx" }),
      expression: "Patient.extension[2].value[x]",
      code: "structure",
      value: "Autismx",
    },
    {
      name: "nationality without its code part",
      change: set("extension.3.extension", [{ url: "period", valuePeriod: { start: "2001-01-01" } }]),
      expression: "Patient.extension[3].extension",
      code: "structure",
    },
    {
      name: "nationality code as text",
      change: set("extension.3.extension.0", { url: "code", valueString: "Britishx" }),
      expression: "Patient.extension[3].extension[0].value[x]",
      code: "structure",
      value: "Britishx",
    },
    {
      name: "two nationality extensions",
      change: (r) => (r.extension as Json[]).push(structuredClone((r.extension as Json[])[3] as Json)),
      expression: "Patient.extension",
      code: "structure",
    },
    {
      name: "NHS number verification status outside the UK Core England codes",
      change: set("identifier.1.extension.0", nhsStatus("09")),
      expression: "Patient.identifier[1].extension[0].valueCodeableConcept",
      code: "code-invalid",
    },
    {
      name: "NHS number verification status as text",
      change: set("identifier.1.extension.0", {
        url: UKCORE.nhsNumberVerificationStatusExtension,
        valueString: "Traced",
      }),
      expression: "Patient.identifier[1].extension[0].value[x]",
      code: "structure",
      value: "Traced",
    },
    {
      name: "two NHS number verification statuses",
      change: (r) => ((r.identifier as Any)[1].extension as Json[]).push(nhsStatus("02")),
      expression: "Patient.identifier[1].extension",
      code: "structure",
    },
    {
      name: "NHS number identifier with neither a value nor a data absent reason",
      change: drop("identifier.1.value"),
      expression: "Patient.identifier[1].value",
      code: "required",
    },
    {
      name: "UPN unknown reason outside UN1-UN7",
      change: set("extension.4.valueCodeableConcept", cc("cin-upn-unknown", "UN9")),
      expression: "Patient.extension[4].valueCodeableConcept",
      code: "code-invalid",
    },
    {
      name: "two UPN unknown reasons",
      change: (r) => (r.extension as Json[]).push(structuredClone((r.extension as Json[])[4] as Json)),
      expression: "Patient.extension",
      code: "structure",
    },
  ],
  "TFG-Household": [
    {
      name: "wrong fixed type",
      change: set("type", "animal"),
      expression: "Group.type",
      code: "value",
      value: "animal",
    },
    { name: "actual false", change: set("actual", false), expression: "Group.actual", code: "value" },
    {
      name: "member that is not a Patient",
      change: set("member.0.entity", ref("Practitioner/p-1")),
      expression: "Group.member[0].entity.reference",
      code: "value",
    },
  ],
  "TFG-FamilyRelationship": [
    {
      name: "no relationship",
      change: drop("relationship"),
      expression: "RelatedPerson.relationship",
      code: "required",
    },
    {
      name: "relationship outside its required binding",
      change: set("relationship.0", cc("relationship", "aunt")),
      expression: "RelatedPerson.relationship[0]",
      code: "code-invalid",
      value: "aunt",
    },
    {
      name: "no meta.profile",
      change: set("meta", { source: "urn:tfg:source:cpa" }),
      expression: "RelatedPerson.meta.profile",
      code: "required",
    },
    {
      name: "parental-responsibility as text",
      change: (r) => {
        (r.extension as Json[])[2] = { url: ext("parental-responsibility"), valueString: "Shared" };
      },
      expression: "RelatedPerson.extension[2].value[x]",
      code: "structure",
      value: "Shared",
    },
    {
      name: "lives-with as text",
      change: set("extension.1.valueString", "Mostly"),
      expression: "RelatedPerson.extension[1].value[x]",
      code: "structure",
      value: "Mostly",
    },
  ],
  "TFG-ParentalStatus": [
    {
      name: "status not final",
      change: set("status", "preliminary"),
      expression: "Observation.status",
      code: "value",
      value: "preliminary",
    },
    {
      name: "wrong code",
      change: set("code", cc("observation-code", "young-carer")),
      expression: "Observation.code",
      code: "value",
    },
    {
      name: "answer outside parental-status",
      change: set("valueCodeableConcept", cc("parental-status", "maybe-later")),
      expression: "Observation.valueCodeableConcept",
      code: "code-invalid",
      value: "maybe-later",
    },
    {
      name: "answer as text",
      change: (r) => {
        delete r.valueCodeableConcept;
        r.valueString = "Twochildren";
      },
      expression: "Observation.value[x]",
      code: "structure",
      value: "Twochildren",
    },
    {
      name: "no effectiveDateTime",
      change: drop("effectiveDateTime"),
      expression: "Observation.effective[x]",
      code: "required",
    },
    {
      name: "negative count of children",
      change: set("component.0.valueInteger", -3),
      expression: "Observation.component[0].valueInteger",
      code: "value",
    },
    {
      name: "pregnancy outside pregnancy-status",
      change: set("component.1.valueCodeableConcept", cc("pregnancy-status", "unsure")),
      expression: "Observation.component[1].valueCodeableConcept",
      code: "code-invalid",
      value: "unsure",
    },
    {
      name: "subject that is a Group",
      change: set("subject", ref("Group/household-1")),
      expression: "Observation.subject.reference",
      code: "value",
    },
  ],
  "TFG-CPAEpisode": [
    { name: "no identifier", change: drop("identifier"), expression: "EpisodeOfCare.identifier", code: "required" },
    {
      name: "no managingOrganization",
      change: drop("managingOrganization"),
      expression: "EpisodeOfCare.managingOrganization",
      code: "required",
    },
    {
      name: "type is not cpa",
      change: set("type", [cc("episode-type", "child-in-need")]),
      expression: "EpisodeOfCare.type",
      code: "structure",
    },
    {
      name: "period without start",
      change: set("period", { end: "2026-01-01" }),
      expression: "EpisodeOfCare.period.start",
      code: "required",
    },
    {
      name: "careManager that is a PractitionerRole",
      change: set("careManager", ref("PractitionerRole/r-1")),
      expression: "EpisodeOfCare.careManager.reference",
      code: "value",
    },
  ],
  "TFG-TreatmentEpisode": [
    {
      name: "four problem substances",
      change: (r) =>
        (r.extension as Json[]).push(
          ...["3201", "7000", "5000"].map((c) => ({
            url: ext("problem-substance"),
            valueCodeableConcept: cc("ndtms-drug", c),
          })),
        ),
      expression: "EpisodeOfCare.extension",
      code: "structure",
    },
    {
      name: "filler substance code 9997",
      change: set("extension.1.valueCodeableConcept", cc("ndtms-drug", "9997")),
      expression: "EpisodeOfCare.extension[1].valueCodeableConcept",
      code: "code-invalid",
    },
    {
      name: "milestone without a date",
      change: (r) => ((r.extension as Any)[0].extension as Json[]).pop(),
      expression: "EpisodeOfCare.extension[0].extension",
      code: "structure",
    },
    {
      name: "milestone type outside episode-milestone",
      change: set("extension.0.extension.0.valueCoding.code", "lunch"),
      expression: "EpisodeOfCare.extension[0].extension[0].valueCoding",
      code: "code-invalid",
      value: "lunch",
    },
    {
      name: "end reason outside its value set",
      change: set("extension.3.valueCodeableConcept", cc("ndtms-modexit", "Q")),
      expression: "EpisodeOfCare.extension[3].valueCodeableConcept",
      code: "code-invalid",
    },
    {
      name: "type is cpa",
      change: set("type", [cc("episode-type", "cpa")]),
      expression: "EpisodeOfCare.type",
      code: "structure",
    },
    {
      name: "area of residence without an identifier",
      change: set("extension.4.valueReference", ref("Organization/dat-1")),
      expression: "EpisodeOfCare.extension[4].valueReference.identifier",
      code: "required",
    },
    {
      name: "area of residence identifier without a system",
      change: set("extension.5.valueReference", { identifier: { value: "ZZ1" } }),
      expression: "EpisodeOfCare.extension[5].valueReference.identifier.system",
      code: "required",
    },
    {
      name: "area of residence as a code",
      change: set("extension.4", { url: ext("area-of-residence"), valueCode: "Z91" }),
      expression: "EpisodeOfCare.extension[4].value[x]",
      code: "structure",
    },
    {
      name: "five areas of residence",
      change: (r) =>
        (r.extension as Json[]).push(
          ...[LOCAL_ID.ndtmsLa, LOCAL_ID.ndtmsUtla, LOCAL_ID.ndtmsDat].map((system) => ({
            url: ext("area-of-residence"),
            valueReference: { identifier: { system, value: "X1" } },
          })),
        ),
      expression: "EpisodeOfCare.extension",
      code: "structure",
    },
    {
      name: "two referral requests",
      change: (r) => (r.referralRequest as Json[]).push(ref("ServiceRequest/ndtms-referral-2")),
      expression: "EpisodeOfCare.referralRequest",
      code: "structure",
    },
    {
      name: "referralRequest to an Encounter",
      change: set("referralRequest.0", ref("Encounter/e-1")),
      expression: "EpisodeOfCare.referralRequest[0].reference",
      code: "value",
    },
  ],
  "TFG-LookedAfterEpisode": [
    {
      name: "not of the looked-after type",
      change: set("type", [cc("episode-type", "child-in-need")]),
      expression: "EpisodeOfCare.type",
      code: "structure",
    },
    {
      name: "start reason outside cla-start-reason",
      change: set("extension.1.valueCodeableConcept", cc("cla-start-reason", "Q")),
      expression: "EpisodeOfCare.extension[1].valueCodeableConcept",
      code: "code-invalid",
      value: "Q",
    },
    {
      name: "no period start",
      change: drop("period.start"),
      expression: "EpisodeOfCare.period.start",
      code: "required",
    },
  ],
  "TFG-ChildrensSocialCareEpisode": [
    {
      name: "no referralRequest",
      change: drop("referralRequest"),
      expression: "EpisodeOfCare.referralRequest",
      code: "required",
    },
    {
      name: "primary need outside cin-primary-need",
      change: set("extension.0.valueCodeableConcept", cc("cin-primary-need", "N99")),
      expression: "EpisodeOfCare.extension[0].valueCodeableConcept",
      code: "code-invalid",
      value: "N99",
    },
    {
      name: "closure reason from another code system",
      change: set("extension.1.valueCodeableConcept", cc("referral-outcome", "early-help")),
      expression: "EpisodeOfCare.extension[1].valueCodeableConcept",
      code: "code-invalid",
    },
    {
      name: "referralRequest to an Encounter",
      change: set("referralRequest.0", ref("Encounter/e-1")),
      expression: "EpisodeOfCare.referralRequest[0].reference",
      code: "value",
    },
  ],
  "TFG-ChildProtectionPlan": [
    {
      name: "no category-of-abuse extension",
      change: (r) => (r.extension as Json[]).shift(),
      expression: "CarePlan.extension",
      code: "structure",
    },
    { name: "intent not plan", change: set("intent", "order"), expression: "CarePlan.intent", code: "value" },
    {
      name: "category of abuse outside its value set",
      change: set("extension.0.extension.0.valueCodeableConcept", cc("cin-category-of-abuse", "XYZ")),
      expression: "CarePlan.extension[0].extension[0].valueCodeableConcept",
      code: "code-invalid",
      value: "XYZ",
    },
    {
      name: "negative previous plans",
      change: set("extension.1.valueInteger", -1),
      expression: "CarePlan.extension[1].valueInteger",
      code: "value",
    },
    { name: "no period", change: drop("period"), expression: "CarePlan.period", code: "required" },
  ],
  "TFG-AssessmentFactor": [
    {
      name: "factor outside cin-assessment-factor",
      change: set("valueCodeableConcept", cc("cin-assessment-factor", "99Z")),
      expression: "Observation.valueCodeableConcept",
      code: "code-invalid",
      value: "99Z",
    },
    { name: "no component", change: drop("component"), expression: "Observation.component", code: "required" },
    {
      name: "component coded as the factor itself",
      change: set("component.0.code", cc("observation-code", "cin-assessment-factor")),
      expression: "Observation.component[0].code",
      code: "value",
    },
    {
      name: "subject outside factor-subject",
      change: set("component.0.valueCodeableConcept", cc("factor-subject", "neighbour")),
      expression: "Observation.component[0].valueCodeableConcept",
      code: "code-invalid",
      value: "neighbour",
    },
    { name: "no encounter", change: drop("encounter"), expression: "Observation.encounter", code: "required" },
    { name: "status not final", change: set("status", "amended"), expression: "Observation.status", code: "value" },
  ],
  "TFG-ChildrensServicesReferral": [
    {
      name: "no referral-source",
      change: (r) => (r.extension as Json[]).shift(),
      expression: "ServiceRequest.extension",
      code: "structure",
    },
    { name: "intent not order", change: set("intent", "plan"), expression: "ServiceRequest.intent", code: "value" },
    {
      name: "code without text",
      change: set("code", cc("episode-type", "child-in-need")),
      expression: "ServiceRequest.code.text",
      code: "required",
    },
    {
      name: "outcome outside referral-outcome",
      change: set("extension.1.valueCodeableConcept", cc("referral-outcome", "shrug")),
      expression: "ServiceRequest.extension[1].valueCodeableConcept",
      code: "code-invalid",
      value: "shrug",
    },
    { name: "no authoredOn", change: drop("authoredOn"), expression: "ServiceRequest.authoredOn", code: "required" },
  ],
  "TFG-AdultServiceEvent": [
    {
      name: "class outside IMP/AMB",
      change: set("class.code", "EMER"),
      expression: "Encounter.class",
      code: "code-invalid",
      value: "EMER",
    },
    {
      name: "no episodeOfCare",
      change: drop("episodeOfCare"),
      expression: "Encounter.episodeOfCare",
      code: "required",
    },
    {
      name: "type outside service-event-type",
      change: set("type.0", cc("service-event-type", "party")),
      expression: "Encounter.type[0]",
      code: "code-invalid",
      value: "party",
    },
    { name: "no period", change: drop("period"), expression: "Encounter.period", code: "required" },
  ],
  "TFG-ChildrensSocialCareEvent": [
    {
      name: "type outside cin-activity",
      change: set("type.0", cc("cin-activity", "home-visit")),
      expression: "Encounter.type[0]",
      code: "code-invalid",
      value: "home-visit",
    },
    {
      name: "type from service-event-type",
      change: set("type.0", cc("service-event-type", "admission")),
      expression: "Encounter.type[0]",
      code: "code-invalid",
    },
    { name: "no type", change: drop("type"), expression: "Encounter.type", code: "required" },
    {
      name: "no episodeOfCare",
      change: drop("episodeOfCare"),
      expression: "Encounter.episodeOfCare",
      code: "required",
    },
    {
      name: "period without start",
      change: set("period", { end: "2025-09-24" }),
      expression: "Encounter.period.start",
      code: "required",
    },
    {
      name: "subject that is a Group",
      change: set("subject", ref("Group/household-1")),
      expression: "Encounter.subject.reference",
      code: "value",
    },
    {
      name: "icpc-not-required as text",
      change: set("extension.0", { url: ext("icpc-not-required"), valueString: "Notneeded" }),
      expression: "Encounter.extension[0].value[x]",
      code: "structure",
      value: "Notneeded",
    },
    {
      name: "ICPC target date that is not a date",
      change: set("extension.1.valueDate", "2025-09-31x"),
      expression: "Encounter.extension[1].valueDate",
      code: "value",
      value: "2025-09-31x",
    },
    {
      name: "ICPC target as a dateTime",
      change: set("extension.1", { url: ext("initial-cpc-target"), valueDateTime: "2025-09-30T10:00:00Z" }),
      expression: "Encounter.extension[1].value[x]",
      code: "structure",
    },
    {
      name: "two ICPC target dates",
      change: (r) => (r.extension as Json[]).push({ url: ext("initial-cpc-target"), valueDate: "2025-10-01" }),
      expression: "Encounter.extension",
      code: "structure",
    },
  ],
  "TFG-MentalHealthReferral": [
    { name: "no identifier", change: drop("identifier"), expression: "ServiceRequest.identifier", code: "required" },
    {
      name: "identifier without value",
      change: drop("identifier.0.value"),
      expression: "ServiceRequest.identifier[0].value",
      code: "required",
    },
    { name: "intent not order", change: set("intent", "plan"), expression: "ServiceRequest.intent", code: "value" },
    { name: "no authoredOn", change: drop("authoredOn"), expression: "ServiceRequest.authoredOn", code: "required" },
    {
      name: "code without text",
      change: set("code", cc("mhsds-team-type", "A06")),
      expression: "ServiceRequest.code.text",
      code: "required",
    },
    {
      name: "two referral sources",
      change: (r) =>
        (r.extension as Json[]).push({
          url: ext("referral-source"),
          valueCodeableConcept: cc("mhsds-source-of-referral", "B1"),
        }),
      expression: "ServiceRequest.extension",
      code: "structure",
    },
    {
      name: "subject that is a Group",
      change: set("subject", ref("Group/household-1")),
      expression: "ServiceRequest.subject.reference",
      code: "value",
    },
  ],
  "TFG-ChildProtectionPlanIndication": [
    {
      name: "a code outside the Data Dictionary list",
      change: set("valueCodeableConcept", cc("mhsds-cpp-indication", "4")),
      expression: "Observation.valueCodeableConcept",
      code: "code-invalid",
    },
    { name: "no value", change: drop("valueCodeableConcept"), expression: "Observation.value[x]", code: "required" },
    {
      name: "no date and no data-absent reason",
      change: drop("_effectiveDateTime"),
      expression: "Observation.effective[x]",
      code: "required",
    },
  ],
  "TFG-YoungCarer": [
    {
      name: "wrong code",
      change: set("code", cc("observation-code", "parental-status")),
      expression: "Observation.code",
      code: "value",
    },
    { name: "status not final", change: set("status", "preliminary"), expression: "Observation.status", code: "value" },
    {
      name: "answer as a CodeableConcept",
      change: (r) => {
        delete r.valueBoolean;
        r.valueCodeableConcept = { text: "Caresformum" };
      },
      expression: "Observation.value[x]",
      code: "structure",
      value: "Caresformum",
    },
    { name: "no value", change: drop("valueBoolean"), expression: "Observation.value[x]", code: "required" },
    {
      name: "no effectiveDateTime",
      change: drop("effectiveDateTime"),
      expression: "Observation.effective[x]",
      code: "required",
    },
    {
      name: "subject that is a Group",
      change: set("subject", ref("Group/household-1")),
      expression: "Observation.subject.reference",
      code: "value",
    },
  ],
  "TFG-NdtmsEarlyHelpItem": [
    {
      name: "code that is not an NDTMS early help item",
      change: set("code", cc("observation-code", "young-carer")),
      expression: "Observation.code",
      code: "code-invalid",
    },
    {
      name: "no link to the treatment episode",
      change: drop("extension"),
      expression: "Observation.extension",
      code: "structure",
    },
    {
      name: "episode link to a Patient",
      change: set("extension.0.valueReference", ref("Patient/adult-1")),
      expression: "Observation.extension[0].valueReference.reference",
      code: "value",
    },
    { name: "no value", change: drop("valueCodeableConcept"), expression: "Observation.value[x]", code: "required" },
    {
      name: "value as text",
      change: (r) => {
        delete r.valueCodeableConcept;
        r.valueString = "Earlyhelpx";
      },
      expression: "Observation.value[x]",
      code: "structure",
      value: "Earlyhelpx",
    },
    { name: "status not final", change: set("status", "preliminary"), expression: "Observation.status", code: "value" },
    {
      name: "subject that is a Group",
      change: set("subject", ref("Group/household-1")),
      expression: "Observation.subject.reference",
      code: "value",
    },
  ],
  "TFG-ChildrensServicesInvolvement": [
    {
      name: "wrong code",
      change: set("code", cc("observation-code", "young-carer")),
      expression: "Observation.code",
      code: "value",
    },
    {
      name: "answer outside yes / no / don't know",
      change: set("valueCodeableConcept", { coding: [{ system: HL7.yesNo, code: "MAYBE" }] }),
      expression: "Observation.valueCodeableConcept",
      code: "code-invalid",
      value: "MAYBE",
    },
    {
      name: "answer as a boolean",
      change: (r) => {
        delete r.valueCodeableConcept;
        r.valueBoolean = false;
      },
      expression: "Observation.value[x]",
      code: "structure",
    },
    {
      name: "type outside childrens-services-type",
      change: set("component.1.valueCodeableConcept", cc("childrens-services-type", "TAF")),
      expression: "Observation.component[1].valueCodeableConcept",
      code: "code-invalid",
      value: "TAF",
    },
    {
      name: "local authority as a number",
      change: (r) => {
        const c = (r.component as Json[])[0] as Json;
        delete c.valueString;
        c.valueInteger = 201;
      },
      expression: "Observation.component[0].value[x]",
      code: "structure",
    },
    {
      name: "component code outside observation-code",
      change: set("component.0.code", cc("observation-code", "shoe-size")),
      expression: "Observation.component[0].code",
      code: "code-invalid",
      value: "shoe-size",
    },
    {
      name: "no effectiveDateTime",
      change: drop("effectiveDateTime"),
      expression: "Observation.effective[x]",
      code: "required",
    },
    {
      name: "subject that is a Group",
      change: set("subject", ref("Group/household-1")),
      expression: "Observation.subject.reference",
      code: "value",
    },
  ],
  "TFG-ProblemSubstanceUse": [
    {
      name: "wrong code",
      change: set("code", cc("observation-code", "alcohol-use")),
      expression: "Observation.code",
      code: "value",
    },
    {
      name: "substance outside ndtms-drug",
      change: set("valueCodeableConcept", cc("ndtms-drug", "9996")),
      expression: "Observation.valueCodeableConcept",
      code: "code-invalid",
    },
    {
      name: "age at first use in months",
      change: set("component.0.valueQuantity", { value: 228, unit: "months", system: HL7.ucum, code: "mo" }),
      expression: "Observation.component[0].valueQuantity",
      code: "value",
    },
    {
      name: "age at first use as an integer",
      change: set("component.0", { code: cc("observation-code", "age-at-first-use"), valueInteger: 19 }),
      expression: "Observation.component[0].value[x]",
      code: "structure",
    },
    {
      name: "route as text",
      change: set("component.1", { code: cc("observation-code", "route-of-use"), valueString: "Smokedx" }),
      expression: "Observation.component[1].value[x]",
      code: "structure",
      value: "Smokedx",
    },
    { name: "no component", change: drop("component"), expression: "Observation.component", code: "required" },
    {
      name: "no link to the treatment episode",
      change: drop("extension"),
      expression: "Observation.extension",
      code: "structure",
    },
    { name: "status not final", change: set("status", "preliminary"), expression: "Observation.status", code: "value" },
    {
      name: "subject that is a Group",
      change: set("subject", ref("Group/household-1")),
      expression: "Observation.subject.reference",
      code: "value",
    },
  ],
  "TFG-AlcoholUse": [
    {
      name: "wrong code",
      change: set("code", cc("observation-code", "problem-substance-use")),
      expression: "Observation.code",
      code: "value",
    },
    {
      name: "29 drinking days in 28",
      change: set("component.0.valueInteger", 29),
      expression: "Observation.component[0].valueInteger",
      code: "value",
    },
    {
      name: "negative units",
      change: set("component.1.valueInteger", -1),
      expression: "Observation.component[1].valueInteger",
      code: "value",
    },
    {
      name: "a value of its own",
      change: set("valueInteger", 5),
      expression: "Observation.value[x]",
      code: "structure",
    },
    { name: "no component", change: drop("component"), expression: "Observation.component", code: "required" },
    {
      name: "component code outside observation-code",
      change: set("component.0.code", cc("observation-code", "pints")),
      expression: "Observation.component[0].code",
      code: "code-invalid",
    },
    {
      name: "no effectiveDateTime",
      change: drop("effectiveDateTime"),
      expression: "Observation.effective[x]",
      code: "required",
    },
    {
      name: "episode link to a Patient",
      change: set("extension.0.valueReference", ref("Patient/adult-1")),
      expression: "Observation.extension[0].valueReference.reference",
      code: "value",
    },
  ],
  "TFG-NdtmsClientItem": [
    {
      name: "code that is not an NDTMS client item",
      change: set("code", cc("observation-code", "ndtms-ehcsc2")),
      expression: "Observation.code",
      code: "code-invalid",
    },
    { name: "no value", change: drop("valueCodeableConcept"), expression: "Observation.value[x]", code: "required" },
    {
      name: "value as text",
      change: (r) => {
        delete r.valueCodeableConcept;
        r.valueString = "Injectsx";
      },
      expression: "Observation.value[x]",
      code: "structure",
      value: "Injectsx",
    },
    {
      name: "no link to the treatment episode",
      change: drop("extension"),
      expression: "Observation.extension",
      code: "structure",
    },
    { name: "status not final", change: set("status", "amended"), expression: "Observation.status", code: "value" },
    {
      name: "subject that is a Group",
      change: set("subject", ref("Group/household-1")),
      expression: "Observation.subject.reference",
      code: "value",
    },
  ],
  "TFG-TreatmentReferral": [
    {
      name: "no referral-source",
      change: drop("extension"),
      expression: "ServiceRequest.extension",
      code: "structure",
    },
    {
      name: "two referral sources",
      change: (r) => (r.extension as Json[]).push(structuredClone((r.extension as Json[])[0] as Json)),
      expression: "ServiceRequest.extension",
      code: "structure",
    },
    { name: "intent not order", change: set("intent", "plan"), expression: "ServiceRequest.intent", code: "value" },
    { name: "no authoredOn", change: drop("authoredOn"), expression: "ServiceRequest.authoredOn", code: "required" },
    { name: "no performer", change: drop("performer"), expression: "ServiceRequest.performer", code: "required" },
    {
      name: "code without text",
      change: set("code", cc("episode-type", "drug-alcohol-treatment")),
      expression: "ServiceRequest.code.text",
      code: "required",
    },
    {
      name: "subject that is a Group",
      change: set("subject", ref("Group/household-1")),
      expression: "ServiceRequest.subject.reference",
      code: "value",
    },
  ],
  "TFG-CareCoordinator": [
    { name: "no identifier", change: drop("identifier"), expression: "Practitioner.identifier", code: "required" },
    {
      name: "identifier without system",
      change: drop("identifier.0.system"),
      expression: "Practitioner.identifier[0].system",
      code: "required",
    },
    {
      name: "identifier without value",
      change: drop("identifier.0.value"),
      expression: "Practitioner.identifier[0].value",
      code: "required",
    },
    {
      name: "telecom system outside its required binding (R4)",
      change: set("telecom.0.system", "pigeon"),
      expression: "Practitioner.telecom[0].system",
      code: "code-invalid",
      value: "pigeon",
    },
  ],
  "TFG-CareTeam": [
    { name: "no identifier", change: drop("identifier"), expression: "CareTeam.identifier", code: "required" },
    { name: "no status", change: drop("status"), expression: "CareTeam.status", code: "required" },
    {
      name: "no managingOrganization",
      change: drop("managingOrganization"),
      expression: "CareTeam.managingOrganization",
      code: "required",
    },
    {
      name: "status outside its required binding (R4)",
      change: set("status", "paused"),
      expression: "CareTeam.status",
      code: "code-invalid",
      value: "paused",
    },
    {
      name: "managingOrganization that is a Patient (R4)",
      change: set("managingOrganization.0", ref("Patient/adult-1")),
      expression: "CareTeam.managingOrganization[0].reference",
      code: "value",
    },
  ],
  "TFG-SafeguardingFlag": [
    {
      name: "code outside flag-code",
      change: set("code", cc("flag-code", "worried")),
      expression: "Flag.code",
      code: "code-invalid",
      value: "worried",
    },
    { name: "no period", change: drop("period"), expression: "Flag.period", code: "required" },
    {
      name: "status outside its required binding (R4)",
      change: set("status", "paused"),
      expression: "Flag.status",
      code: "code-invalid",
      value: "paused",
    },
  ],
  "TFG-Consent": [
    { name: "no provision", change: drop("provision"), expression: "Consent.provision", code: "required" },
    {
      name: "provision.type outside permit/deny (R4)",
      change: set("provision.type", "maybe"),
      expression: "Consent.provision.type",
      code: "code-invalid",
      value: "maybe",
    },
    { name: "no patient", change: drop("patient"), expression: "Consent.patient", code: "required" },
  ],
  "TFG-AuditEvent": [
    { name: "no recorded", change: drop("recorded"), expression: "AuditEvent.recorded", code: "required" },
    {
      name: "recorded without a time (R4 instant)",
      change: set("recorded", "2026-06-01"),
      expression: "AuditEvent.recorded",
      code: "value",
    },
    { name: "no agent", change: drop("agent"), expression: "AuditEvent.agent", code: "required" },
  ],
  "TFG-Provenance": [
    {
      name: "entity role not source",
      change: set("entity.0.role", "derivation"),
      expression: "Provenance.entity[0].role",
      code: "value",
    },
    {
      name: "entity without mapping display",
      change: drop("entity.0.what.display"),
      expression: "Provenance.entity[0].what.display",
      code: "required",
    },
    { name: "no entity", change: drop("entity"), expression: "Provenance.entity", code: "required" },
  ],
};

const diagnosticsOf = (issues: FhirIssue[]) => issues.map((i) => i.diagnostics).join("\n");

describe("profiles and the generated catalog", () => {
  it("defines every profile of src/fhir/canonical.ts, for the same resource type", () => {
    const catalog = Object.fromEntries(PROFILE_CATALOG.map((p) => [p.id, { url: p.url, type: p.type }]));
    const expected = Object.fromEntries(
      Object.entries(PROFILES).map(([id, type]) => [id, { url: profileUrl(id), type }]),
    );
    expect(catalog).toEqual(expected);
  });

  it("generated code imports nothing from node:* and generates no code at run time", () => {
    const code = readFileSync("src/fhir/validation/generated/validators.generated.js", "utf8");
    expect(code).not.toMatch(/from\s+["']node:/);
    expect(code).not.toMatch(/\brequire\(|\bnew Function\b|\beval\(/);
    const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(imports).toEqual(["../formats.js"]);
    const schemas = readFileSync("src/fhir/validation/generated/schemas.generated.js", "utf8");
    expect(schemas).not.toMatch(/^import |\brequire\(|\bnew Function\b|\beval\(/m);
  });

  it("the FHIRPath engine the Worker bundles (fhirpath.js, ESM build) has no eval or Function constructor", () => {
    const engine = readFileSync("node_modules/fhirpath/esm/fhirpath.mjs", "utf8");
    expect(engine).not.toMatch(/\bnew Function\b|[^\w.]eval\(|\bFunction\(["'`]/);
  });
});

describe.each(Object.keys(EXAMPLES) as (keyof typeof PROFILES)[])("%s", (profile) => {
  const example = EXAMPLES[profile];

  it("accepts the valid example", () => {
    expect(validateResource(example())).toEqual([]);
  });

  it("checks the profile when asked explicitly, without meta.profile", () => {
    const r = example();
    delete r.meta;
    expect(validateResource(r, { profile: `${profileUrl(profile)}|0.1.0` })).toEqual(
      profile === "TFG-FamilyRelationship"
        ? [expect.objectContaining({ code: "required", expression: ["RelatedPerson.meta"] })]
        : [],
    );
  });

  it.each(BROKEN[profile])("reports $name at $expression", ({ change, expression, code, value }) => {
    const r = example();
    change(r);
    const issues = validateResource(r, { profile: profileUrl(profile) });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues).toContainEqual(expect.objectContaining({ severity: "error", code, expression: [expression] }));
    const text = diagnosticsOf(issues);
    for (const v of [...IDENTIFIABLE, ...(value ? [value] : [])]) expect(text).not.toContain(v);
  });
});

describe("extensible bindings to the provisional MHSDS code lists", () => {
  it("accepts codes outside mhsds-team-type, mhsds-referral-reason and mhsds-source-of-referral", () => {
    const referral = EXAMPLES["TFG-MentalHealthReferral"]();
    referral.performerType = cc("mhsds-team-type", "Q99");
    referral.reasonCode = [cc("mhsds-referral-reason", "98")];
    (referral.extension as Json[])[0] = {
      url: ext("referral-source"),
      valueCodeableConcept: cc("mhsds-source-of-referral", "Z9"),
    };
    expect(validateResource(referral)).toEqual([]);
    const team = EXAMPLES["TFG-CareTeam"]();
    team.category = [cc("mhsds-team-type", "Q99")];
    expect(validateResource(team)).toEqual([]);
  });
});

describe("bindings to unconfirmed or open code lists", () => {
  it("accepts any code for an NDTMS early help item (example binding to the provisional ndtms-ehcsc)", () => {
    for (const code of ["1", "07", "Y", "EH CP"]) {
      const item = EXAMPLES["TFG-NdtmsEarlyHelpItem"]();
      item.valueCodeableConcept = cc("ndtms-ehcsc", code);
      item.code = cc("observation-code", "ndtms-ehcsc3");
      expect(validateResource(item), code).toEqual([]);
    }
  });

  it("accepts any code for the provisional NDTMS client items (example binding) and route (extensible)", () => {
    for (const [item, system, code] of [
      ["previous-treatment", "ndtms-prevtr", "Y"],
      ["previous-treatment", "ndtms-prevtr", "02"],
      ["dual-diagnosis", "ndtms-dualdiag", "N"],
      ["accommodation-need", "ndtms-accmneed", "4"],
      ["injecting-status", "ndtms-injstat", "X"],
    ] as const) {
      const obs = EXAMPLES["TFG-NdtmsClientItem"]();
      obs.code = cc("observation-code", item);
      obs.valueCodeableConcept = cc(system, code);
      expect(validateResource(obs), `${item} ${code}`).toEqual([]);
    }
    const use = EXAMPLES["TFG-ProblemSubstanceUse"]();
    (use.component as Json[])[1] = {
      code: cc("observation-code", "route-of-use"),
      valueCodeableConcept: cc("ndtms-route", "9"),
    };
    expect(validateResource(use)).toEqual([]);
    const referral = EXAMPLES["TFG-TreatmentReferral"]();
    referral.extension = [{ url: ext("referral-source"), valueCodeableConcept: cc("ndtms-referral-source", "99") }];
    expect(validateResource(referral)).toEqual([]);
  });

  it("accepts a problem substance use without the substance, with a data absent reason, and alcohol use with one part", () => {
    const use = EXAMPLES["TFG-ProblemSubstanceUse"]();
    delete use.valueCodeableConcept;
    use.dataAbsentReason = { coding: [{ system: HL7.dataAbsentReason, code: "unknown" }] };
    use.component = [{ code: cc("observation-code", "route-of-use"), valueCodeableConcept: cc("ndtms-route", "4") }];
    expect(validateResource(use)).toEqual([]);
    const alcohol = EXAMPLES["TFG-AlcoholUse"]();
    alcohol.component = [{ code: cc("observation-code", "drinking-days"), valueInteger: 0 }];
    expect(validateResource(alcohol)).toEqual([]);
  });

  it("accepts an NHS number identifier with a verification status and no number (data absent reason on the value)", () => {
    const patient = EXAMPLES["TFG-Patient"]();
    (patient.identifier as Json[])[1] = { extension: [nhsStatus("03")], system: NHS_NUMBER_SYSTEM, _value: absent() };
    expect(validateResource(patient)).toEqual([]);
    (patient.identifier as Json[])[1] = { extension: [nhsStatus("07")], system: NHS_NUMBER_SYSTEM, _value: absent() };
    expect(validateResource(patient)).toEqual([]);
  });

  it("accepts don't know, and a missing answer with a data absent reason, for children's services involvement", () => {
    const unknown = EXAMPLES["TFG-ChildrensServicesInvolvement"]();
    unknown.valueCodeableConcept = { coding: [{ system: HL7.dataAbsentReason, code: "asked-unknown" }] };
    delete unknown.component;
    expect(validateResource(unknown)).toEqual([]);
    const absent = EXAMPLES["TFG-ChildrensServicesInvolvement"]();
    delete absent.valueCodeableConcept;
    absent.dataAbsentReason = { coding: [{ system: HL7.dataAbsentReason, code: "unknown" }] };
    expect(validateResource(absent)).toEqual([]);
  });

  it("accepts a nationality with a period and any ISO 3166 code (the alpha-3 binding is preferred, not checked)", () => {
    const patient = EXAMPLES["TFG-Patient"]();
    (patient.extension as Json[])[3] = {
      url: HL7.nationalityExtension,
      extension: [
        { url: "code", valueCodeableConcept: { coding: [{ system: HL7.iso3166, code: "IE" }] } },
        { url: "period", valuePeriod: { start: "2001-01-01" } },
      ],
    };
    expect(validateResource(patient)).toEqual([]);
  });
});

describe("profile dispatch", () => {
  const flag = () => ({ resourceType: "Flag", status: "active", code: { text: "x" }, subject: ref("Patient/p") });

  it("validates only the base layer when no profile is claimed", () => {
    expect(validateResource(flag())).toEqual([]);
  });

  it("reports an unknown explicit profile and an unknown meta.profile as errors", () => {
    expect(validateResource(flag(), { profile: "https://example.org/fhir/StructureDefinition/Other" })).toEqual([
      expect.objectContaining({ severity: "error", code: "not-supported" }),
    ]);
    const claimed = { ...flag(), meta: { profile: ["https://example.org/fhir/StructureDefinition/Other"] } };
    expect(validateResource(claimed)).toEqual([
      expect.objectContaining({ severity: "error", code: "not-supported", expression: ["Flag.meta.profile[0]"] }),
    ]);
  });

  it("reports a profile for another resource type", () => {
    expect(validateResource(flag(), { profile: profileUrl("TFG-Patient") })).toEqual([
      expect.objectContaining({
        code: "invalid",
        diagnostics: "Profile TFG-Patient is for Patient resources, not Flag",
      }),
    ]);
  });

  it("reports types the gateway does not serve, and non-resources", () => {
    expect(validateResource({ resourceType: "NotAResourceType" })[0]).toMatchObject({
      code: "not-supported",
      expression: ["resourceType"],
    });
    expect(validateResource({ resourceType: "constructor" })[0]).toMatchObject({ code: "not-supported" });
    expect(validateResource([])[0]).toMatchObject({ code: "structure" });
    expect(validateResource({})[0]).toMatchObject({ code: "structure", expression: ["resourceType"] });
  });

  it("collects every issue from both layers, base first", () => {
    const r = EXAMPLES["TFG-Patient"]();
    r.gender = "woman";
    (r.identifier as Json[])[1] = { system: NHS_NUMBER_SYSTEM, value: NHS_BAD };
    r.unknownThing = 1;
    const issues = validateResource(r);
    expect(issues.map((i) => i.expression?.[0])).toEqual([
      "Patient.unknownThing",
      "Patient.gender",
      "Patient.identifier[1].value",
    ]);
    expect(issues.map((i) => i.diagnostics)).toEqual([
      "Unknown element: it is not part of this type in FHIR R4 (FHIR R4)",
      "Code is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender (FHIR R4)",
      "Invariant tfg-nhs-1 failed: NHS number must be ten digits with a valid modulus-11 check digit (profile TFG-Patient)",
    ]);
  });
});

describe("the validator build", () => {
  const defs = loadDefinitions(join("node_modules", "hl7.fhir.r4.examples"), "profiles");
  const withProfile = (element: Json[]) => ({
    ...defs,
    projectStructureDefinitions: [
      {
        resourceType: "StructureDefinition",
        id: "TFG-Broken",
        url: profileUrl("TFG-Broken"),
        name: "TFGBroken",
        status: "draft",
        kind: "resource",
        abstract: false,
        type: "Patient",
        baseDefinition: "http://hl7.org/fhir/StructureDefinition/Patient",
        derivation: "constraint",
        differential: { element: [{ id: "Patient", path: "Patient" }, ...element] },
      },
    ] as unknown as typeof defs.projectStructureDefinitions,
  });

  it.each([
    [{ id: "Patient.nickname", path: "Patient.nickname", min: 1 }, /Patient has no element nickname/],
    [{ id: "Patient.gender", path: "Patient.gender", maxLength: 10 }, /'maxLength' is not supported/],
    [
      { id: "Patient.maritalStatus", path: "Patient.maritalStatus", fixedCodeableConcept: { text: "x" } },
      /fixed complex values/,
    ],
    [
      {
        id: "Patient.gender",
        path: "Patient.gender",
        binding: { strength: "required", valueSet: "https://example.org/vs" },
      },
      /cannot be enumerated/,
    ],
  ])("stops on differential content it cannot check: %o", (element, message) => {
    expect(() => buildProfileLayer(withProfile([element]))).toThrow(message);
  });

  it("names the file and element when it stops", () => {
    expect(() => buildProfileLayer(withProfile([{ id: "Patient.nickname", path: "Patient.nickname" }]))).toThrow(
      "profiles/StructureDefinition-TFG-Broken.json: Patient.nickname: Patient has no element nickname",
    );
  });
});

const EXAMPLES_DIR = join("node_modules", "hl7.fhir.r4.examples");
/** HL7 examples that are themselves invalid, with the reason. */
const KNOWN_INVALID_EXAMPLES: Record<string, string> = {
  "Observation-clinical-gender.json": "Observation.performer references an Encounter, which R4 does not allow there",
};

describe("HL7 R4 examples against the base layer", () => {
  const files = readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith(".json") && RESOURCE_TYPES.includes(f.split("-")[0] as string))
    .sort();
  const examples = files
    .map((file) => ({ file, resource: JSON.parse(readFileSync(join(EXAMPLES_DIR, file), "utf8")) as Json }))
    .filter((e) => RESOURCE_TYPES.includes(e.resource.resourceType as string));

  it("covers every served resource type", () => {
    expect(new Set(examples.map((e) => e.resource.resourceType))).toEqual(new Set(RESOURCE_TYPES));
    expect(examples.length).toBeGreaterThanOrEqual(200);
  });

  it("accepts every example except the known invalid ones", () => {
    const failures = examples
      .filter((e) => !(e.file in KNOWN_INVALID_EXAMPLES))
      .map((e) => ({ file: e.file, issues: validateBase(e.resource) }))
      .filter((f) => f.issues.length > 0);
    expect(failures).toEqual([]);
  });

  it("still rejects the known invalid examples", () => {
    for (const file of Object.keys(KNOWN_INVALID_EXAMPLES)) {
      const resource = JSON.parse(readFileSync(join(EXAMPLES_DIR, file), "utf8"));
      expect(validateBase(resource).length, file).toBeGreaterThan(0);
    }
  });
});

describe("golden mapping output", () => {
  it("every resource the mappings produce passes both layers", () => {
    const files = ["ndtms/expected.json", "cpa/expected.json", "cin/expected-2024.json", "cin/expected-2026.json"];
    let count = 0;
    for (const file of files) {
      const records = JSON.parse(readFileSync(join("tests", "golden", file), "utf8")) as {
        resources: { resource: Json }[];
      }[];
      for (const { resource } of records.flatMap((r) => r.resources)) {
        count++;
        expect(validateResource(resource), `${file} ${resource.resourceType}/${resource.id}`).toEqual([]);
      }
    }
    expect(count).toBeGreaterThan(50);
  });
});

describe("arbitrary input", () => {
  const isIssue = (i: FhirIssue) =>
    ["error", "warning", "information", "fatal"].includes(i.severity) && typeof i.diagnostics === "string";

  it("never throws and always returns issues for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.option(fc.webUrl(), { nil: undefined }), (value, profile) => {
        const issues = validateResource(value, profile ? { profile } : {});
        expect(Array.isArray(issues)).toBe(true);
        expect(issues.every(isIssue)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  /** Replaces the leaves of `value` chosen by `pick` with `replacements`, in depth-first order. */
  function replaceLeaves(value: unknown, pick: boolean[], replacements: unknown[], state = { i: 0, r: 0 }): unknown {
    if (Array.isArray(value)) return value.map((v) => replaceLeaves(v, pick, replacements, state));
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, replaceLeaves(v, pick, replacements, state)]),
      );
    }
    const chosen = pick[state.i++ % Math.max(pick.length, 1)];
    return chosen && replacements.length ? replacements[state.r++ % replacements.length] : value;
  }

  it("never quotes input values in diagnostics, even in mangled profile examples", () => {
    const marker = fc.stringMatching(/^Qz[a-z0-9 ]{4,10}$/);
    const replacement = fc.oneof(
      marker,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.dictionary(marker, marker),
      fc.array(marker),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(EXAMPLES) as (keyof typeof PROFILES)[])),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        fc.array(replacement, { minLength: 1, maxLength: 10 }),
        (profile, pick, replacements) => {
          const mangled = replaceLeaves(EXAMPLES[profile](), pick, replacements) as Json;
          const issues = validateResource(mangled, { profile: profileUrl(profile) });
          expect(issues.every(isIssue)).toBe(true);
          const text = diagnosticsOf(issues);
          expect(text).not.toMatch(/Qz/);
          for (const i of issues) expect(i.expression?.every((e) => !e.includes("Qz")) ?? true).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
