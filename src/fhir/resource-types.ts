/**
 * The resource types this gateway serves, with their search parameters, as data.
 * Expressions follow the R4 SearchParameter definitions (http://hl7.org/fhir/R4/searchparameter-registry.html),
 * restricted to simple paths; the CapabilityStatement is generated from this table, so it lists only what works.
 */

/** A search parameter the gateway indexes. `path` is a dotted element path from the resource root. */
export interface SearchParamDef {
  name: string;
  type: "token" | "reference";
  /** One or more element paths (alternatives), e.g. `["subject"]`. */
  paths: string[];
  /** For references: the resource types it may point to (used to resolve a bare id). */
  targets?: string[];
  /**
   * Another parameter of the same type whose index rows already hold every value of this one (same
   * paths, wider targets): this one stores no rows of its own and is searched through that one's,
   * with its targets (e.g. Observation `patient` is `subject` restricted to Patient targets).
   */
  indexedAs?: string;
  documentation: string;
}

const identifier: SearchParamDef = {
  name: "identifier",
  type: "token",
  paths: ["identifier"],
  documentation: "An identifier: system|value, |value, value, or system|",
};
const subjectOf = (targets: string[]): SearchParamDef => ({
  name: "subject",
  type: "reference",
  paths: ["subject"],
  targets,
  documentation: "The subject: Type/id or a bare id",
});
const patientVia = (path: string, indexedAs?: string): SearchParamDef => ({
  name: "patient",
  type: "reference",
  paths: [path],
  targets: ["Patient"],
  ...(indexedAs ? { indexedAs } : {}),
  documentation: "The patient: Patient/id or a bare id",
});

/** Search parameters by resource type (besides `_id` and `_lastUpdated`, which every type has). */
export const SEARCH_PARAMS: Record<string, SearchParamDef[]> = {
  Patient: [identifier],
  RelatedPerson: [identifier, patientVia("patient")],
  Group: [
    identifier,
    {
      name: "member",
      type: "reference",
      paths: ["member.entity"],
      targets: ["Patient", "RelatedPerson", "Group"],
      documentation: "A member of the group",
    },
  ],
  Observation: [identifier, subjectOf(["Patient", "Group", "Location"]), patientVia("subject", "subject")],
  EpisodeOfCare: [identifier, patientVia("patient")],
  CarePlan: [identifier, subjectOf(["Patient", "Group"]), patientVia("subject", "subject")],
  CareTeam: [identifier, subjectOf(["Patient", "Group"]), patientVia("subject", "subject")],
  ServiceRequest: [identifier, subjectOf(["Patient", "Group", "Location"]), patientVia("subject", "subject")],
  Encounter: [identifier, subjectOf(["Patient", "Group"]), patientVia("subject", "subject")],
  Flag: [
    identifier,
    subjectOf(["Patient", "Group", "Location", "Organization", "Practitioner"]),
    patientVia("subject", "subject"),
  ],
  Consent: [identifier, patientVia("patient")],
  Provenance: [
    {
      name: "target",
      type: "reference",
      paths: ["target"],
      targets: [],
      documentation: "The resource the provenance is about",
    },
    patientVia("target", "target"),
  ],
  AuditEvent: [patientVia("entity.what")],
  Organization: [identifier],
  Practitioner: [identifier],
  PractitionerRole: [
    identifier,
    {
      name: "practitioner",
      type: "reference",
      paths: ["practitioner"],
      targets: ["Practitioner"],
      documentation: "The practitioner",
    },
  ],
  Location: [identifier],
};

/** Resource types the gateway stores and serves. */
export const RESOURCE_TYPES: readonly string[] = Object.keys(SEARCH_PARAMS).sort();

/** True when the gateway serves `type`. */
export function isSupportedType(type: string): boolean {
  return Object.hasOwn(SEARCH_PARAMS, type);
}
