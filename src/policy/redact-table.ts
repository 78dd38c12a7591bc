/**
 * The disclosure level each element needs (DOMAIN.md §4), per resource type, element by element:
 * `existence` that a flag or involvement exists and which service to contact; `contact` the lead
 * professional and whether the episode is open; `summary` plan / CPA status, modality, CP category,
 * events, children's ages; `sensitive` substances, diagnoses, free text. Anything not listed here
 * (an element, an extension, a resource type) needs `sensitive`. Written out in full on purpose: a
 * reviewer reads this file to see what each level shows.
 */
import { profileUrl, TFG_BASE } from "../fhir/canonical.js";
import type { Level } from "./levels.js";

/** An element's level, or for a complex element the level to show it at and the levels of its parts. */
export type ElementRule = Level | { level: Level; parts: Readonly<Record<string, Level>> };

/** What one resource type shows at each level. */
export interface TypeTable {
  /** Elements by name; `value[x]` stands for every `valueXxx`. `_name` follows `name`. */
  elements: Readonly<Record<string, ElementRule>>;
  /** `extension` items by url. */
  extensions?: Readonly<Record<string, Level>>;
  /** Element overrides for resources claiming one of these profiles (the lowest level wins where several apply). */
  profiles?: Readonly<Record<string, Readonly<Record<string, Level>>>>;
}

const E = "existence";
const C = "contact";
const S = "summary";

const ext = (name: string) => `${TFG_BASE}/StructureDefinition/${name}`;

/** Every type: what the resource is, and its owner tag ("which service to contact"). */
const COMMON: Readonly<Record<string, ElementRule>> = {
  resourceType: E,
  id: E,
  meta: { level: E, parts: { versionId: E, lastUpdated: E, profile: E, tag: E, security: E } },
};

/** Extensions nested inside an element that is shown, by url: shown with the element at these levels. */
export const NESTED_EXTENSIONS: Readonly<Record<string, Level>> = {
  "http://hl7.org/fhir/StructureDefinition/data-absent-reason": E,
  "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus": C,
};

const table = (t: TypeTable): TypeTable => ({ ...t, elements: { ...COMMON, ...t.elements } });

/** The tables, by resource type. A type not here is shown only at `sensitive`. */
export const REDACTION: Readonly<Record<string, TypeTable>> = {
  Patient: table({
    elements: {
      active: E,
      managingOrganization: E,
      identifier: C,
      name: C,
      gender: S,
      birthDate: S,
      "deceased[x]": S,
      generalPractitioner: S,
    },
    extensions: { [ext("expected-birth-date")]: S },
  }),
  EpisodeOfCare: table({
    elements: {
      patient: E,
      managingOrganization: E,
      status: C,
      careManager: C,
      team: C,
      type: S,
      period: S,
      statusHistory: S,
      referralRequest: S,
      identifier: S,
    },
    extensions: {
      [ext("treatment-modality")]: S,
      [ext("episode-end-reason")]: S,
      [ext("episode-milestone")]: S,
      [ext("area-of-residence")]: S,
      [ext("primary-need")]: S,
      [ext("cla-start-reason")]: S,
      [ext("cla-ceased-reason")]: S,
    },
  }),
  CarePlan: table({
    elements: {
      subject: E,
      author: E,
      intent: E,
      status: C,
      careTeam: C,
      contributor: C,
      category: S,
      title: S,
      period: S,
      created: S,
      encounter: S,
      identifier: S,
    },
    extensions: { [ext("category-of-abuse")]: S, [ext("previous-plans")]: S, [ext("review-date")]: S },
  }),
  Encounter: table({
    elements: {
      subject: E,
      serviceProvider: E,
      participant: C,
      status: S,
      statusHistory: S,
      class: S,
      classHistory: S,
      type: S,
      serviceType: S,
      priority: S,
      episodeOfCare: S,
      basedOn: S,
      appointment: S,
      period: S,
      length: S,
      location: S,
      partOf: S,
      identifier: S,
    },
    extensions: { [ext("icpc-not-required")]: S, [ext("initial-cpc-target")]: S },
  }),
  Observation: table({
    elements: {
      subject: E,
      performer: C,
      status: S,
      category: S,
      encounter: S,
      "effective[x]": S,
      issued: S,
    },
    extensions: { "http://hl7.org/fhir/StructureDefinition/workflow-episodeOfCare": S },
    profiles: {
      [profileUrl("TFG-ParentalStatus")]: { code: S, "value[x]": S, component: S },
      [profileUrl("TFG-YoungCarer")]: { code: S, "value[x]": S },
      [profileUrl("TFG-ChildrensServicesInvolvement")]: { code: S, "value[x]": S },
      [profileUrl("TFG-ChildProtectionPlanIndication")]: { code: S, "value[x]": S },
    },
  }),
  Flag: table({
    elements: { subject: E, status: E, author: C, code: S, category: S, period: S, encounter: S, identifier: S },
  }),
  ServiceRequest: table({
    elements: {
      subject: E,
      intent: E,
      status: C,
      requester: C,
      performer: C,
      performerType: C,
      category: S,
      code: S,
      priority: S,
      encounter: S,
      "occurrence[x]": S,
      authoredOn: S,
      basedOn: S,
      replaces: S,
      identifier: S,
    },
    extensions: { [ext("referral-source")]: S, [ext("referral-outcome")]: S },
  }),
  Practitioner: table({
    elements: { active: E, identifier: C, name: C, telecom: C, qualification: S },
  }),
  PractitionerRole: table({
    elements: {
      active: E,
      organization: E,
      identifier: C,
      period: C,
      practitioner: C,
      code: C,
      specialty: C,
      location: C,
      healthcareService: C,
      telecom: C,
      availableTime: C,
      notAvailable: C,
      availabilityExceptions: C,
    },
  }),
  CareTeam: table({
    elements: {
      subject: E,
      category: E,
      managingOrganization: E,
      identifier: C,
      status: C,
      name: C,
      participant: C,
      telecom: C,
      encounter: S,
      period: S,
    },
  }),
  RelatedPerson: table({
    elements: {
      active: E,
      patient: E,
      identifier: C,
      name: C,
      relationship: S,
      gender: S,
      birthDate: S,
      period: S,
    },
    extensions: {
      [ext("lives-with")]: S,
      [ext("parental-responsibility")]: S,
      [ext("overnight-contact")]: S,
      [ext("contact-with-other-parent")]: S,
      [ext("related-patient")]: S,
    },
  }),
  Group: table({
    elements: {
      active: E,
      type: E,
      actual: E,
      managingEntity: E,
      code: S,
      quantity: S,
      member: { level: S, parts: { entity: S, period: S, inactive: S } },
    },
  }),
  Consent: table({
    elements: {
      patient: E,
      organization: E,
      status: C,
      scope: C,
      category: C,
      performer: C,
      dateTime: S,
      policy: S,
      policyRule: S,
      verification: S,
      provision: S,
      identifier: S,
    },
  }),
  Provenance: table({ elements: { target: E } }),
};
