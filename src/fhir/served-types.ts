/** The resource types this gateway stores and serves (the search-parameter table is generated for these). */

/** Served resource types, sorted. */
export const SERVED_TYPES: readonly string[] = [
  "AuditEvent",
  "CarePlan",
  "CareTeam",
  "Consent",
  "Encounter",
  "EpisodeOfCare",
  "Flag",
  "Group",
  "Location",
  "Observation",
  "Organization",
  "Patient",
  "Person",
  "Practitioner",
  "PractitionerRole",
  "Provenance",
  "RelatedPerson",
  "ServiceRequest",
  "Subscription",
  "Task",
];
