/**
 * Canonical URLs of the project's profiles, code systems and identifier systems. Profiles and
 * code systems live as JSON in profiles/; mappings and code refer to them through these names.
 */

/** Base of every canonical URL the project defines. */
export const TFG_BASE = "https://think-family-gateway.example/fhir";

/** StructureDefinition URL for a project profile name, e.g. `TFG-Patient`. */
export const profileUrl = (name: string) => `${TFG_BASE}/StructureDefinition/${name}`;
/** CodeSystem URL for a project code system id, e.g. `parental-status`. */
export const codeSystemUrl = (id: string) => `${TFG_BASE}/CodeSystem/${id}`;
/** ValueSet URL for a project value set id. */
export const valueSetUrl = (id: string) => `${TFG_BASE}/ValueSet/${id}`;

/** Project profiles (DOMAIN.md §1) and the base resource each constrains. */
export const PROFILES = {
  "TFG-Patient": "Patient",
  "TFG-Household": "Group",
  "TFG-FamilyRelationship": "RelatedPerson",
  "TFG-ParentalStatus": "Observation",
  "TFG-CPAEpisode": "EpisodeOfCare",
  "TFG-TreatmentEpisode": "EpisodeOfCare",
  "TFG-ChildrensSocialCareEpisode": "EpisodeOfCare",
  "TFG-LookedAfterEpisode": "EpisodeOfCare",
  "TFG-ChildProtectionPlan": "CarePlan",
  "TFG-AssessmentFactor": "Observation",
  "TFG-ChildrensServicesReferral": "ServiceRequest",
  "TFG-AdultServiceEvent": "Encounter",
  "TFG-ChildrensSocialCareEvent": "Encounter",
  "TFG-MentalHealthReferral": "ServiceRequest",
  "TFG-YoungCarer": "Observation",
  "TFG-ChildProtectionPlanIndication": "Observation",
  "TFG-NdtmsEarlyHelpItem": "Observation",
  "TFG-ChildrensServicesInvolvement": "Observation",
  "TFG-ProblemSubstanceUse": "Observation",
  "TFG-AlcoholUse": "Observation",
  "TFG-NdtmsClientItem": "Observation",
  "TFG-TreatmentReferral": "ServiceRequest",
  "TFG-CareCoordinator": "Practitioner",
  "TFG-CareTeam": "CareTeam",
  "TFG-SafeguardingFlag": "Flag",
  "TFG-Consent": "Consent",
  "TFG-AuditEvent": "AuditEvent",
  "TFG-Provenance": "Provenance",
} as const;

/** A project profile name. */
export type ProfileName = keyof typeof PROFILES;

/** NHS number identifier system (UK Core). */
export const NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number";
/** ODS organisation code identifier system: trusts, GP practices (NDTMS GPPTCE), primary care trusts (NDTMS PCT). */
export const ODS_ORGANIZATION_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code";
/** UK Core extensions and code systems the mappings use. */
export const UKCORE = {
  ethnicCategoryExtension: "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
  ethnicCategoryEngland: "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland",
  addressKeyExtension: "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey",
  addressKeyType: "https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType",
  nhsNumberVerificationStatusExtension:
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
  nhsNumberVerificationStatusEngland: "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland",
} as const;

/** R4 core extensions and terminology the mappings use. */
export const HL7 = {
  nationalityExtension: "http://hl7.org/fhir/StructureDefinition/patient-nationality",
  episodeOfCareExtension: "http://hl7.org/fhir/StructureDefinition/workflow-episodeOfCare",
  /** ISO 3166 country codes (alpha-2 and alpha-3). */
  iso3166: "urn:iso:std:iso:3166",
  /** v2 Yes/no indicator (Y, N); with data-absent-reason `asked-unknown` it makes R4 `yesnodontknow`. */
  yesNo: "http://terminology.hl7.org/CodeSystem/v2-0136",
  dataAbsentReason: "http://terminology.hl7.org/CodeSystem/data-absent-reason",
  /** The R4 data-absent-reason extension (on a primitive whose value the source did not give). */
  dataAbsentReasonExtension: "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
  /** UCUM units (ages in years: code `a`). */
  ucum: "http://unitsofmeasure.org",
} as const;

/** Identifier systems for source-local keys; `{org}` is the issuing organisation (ODS, NDTMS agency or LA code). */
export const LOCAL_ID = {
  mhsdsPatient: (org: string) => `${TFG_BASE}/Id/mhsds-local-patient/${org}`,
  mhsdsCpaEpisode: (org: string) => `${TFG_BASE}/Id/mhsds-cpa-episode/${org}`,
  mhsdsReferral: (org: string) => `${TFG_BASE}/Id/mhsds-service-request/${org}`,
  mhsdsCareProfessional: (org: string) => `${TFG_BASE}/Id/mhsds-care-professional/${org}`,
  cpaHouseholdChild: (org: string) => `${TFG_BASE}/Id/cpa-household-child/${org}`,
  ndtmsClient: (agency: string) => `${TFG_BASE}/Id/ndtms-client/${agency}`,
  ndtmsEpisode: (agency: string) => `${TFG_BASE}/Id/ndtms-episode/${agency}`,
  ndtmsAgency: `${TFG_BASE}/Id/ndtms-agency`,
  /** NDTMS area codes as sent (DAT, local authority, upper-tier local authority); PCT codes are ODS codes. */
  ndtmsDat: `${TFG_BASE}/Id/ndtms-dat`,
  ndtmsLa: `${TFG_BASE}/Id/ndtms-la`,
  ndtmsUtla: `${TFG_BASE}/Id/ndtms-utla`,
  cinChild: (la: string) => `${TFG_BASE}/Id/cin-la-child/${la}`,
  cinUpn: "https://think-family-gateway.example/fhir/Id/dfe-upn",
} as const;
