/**
 * The OperationDefinitions of the two family lookups (docs/LOOKUPS.md), served at `/fhir/OperationDefinition/{id}`
 * and named by canonical URL in the CapabilityStatement's Patient entry.
 */
import type { OperationDefinition } from "fhir/r4";
import { TFG_BASE } from "../fhir/canonical.js";

const url = (id: string) => `${TFG_BASE}/OperationDefinition/${id}`;

const levelParts = [
  {
    name: "level",
    use: "out",
    min: 1,
    max: "1",
    type: "code",
    documentation: "existence, contact, summary or sensitive",
  },
  { name: "legalBasis", use: "out", min: 0, max: "1", type: "string", documentation: "What the disclosure rests on" },
  {
    name: "note",
    use: "out",
    min: 0,
    max: "*",
    type: "string",
    documentation: "E.g. that the person's consent would allow more",
  },
  { name: "expires", use: "out", min: 0, max: "1", type: "instant", documentation: "When a break-glass permit ends" },
] as const;

/** `Patient/$household-check` (type level, POST). */
export const HOUSEHOLD_CHECK: OperationDefinition = {
  resourceType: "OperationDefinition",
  id: "household-check",
  url: url("household-check"),
  name: "HouseholdCheck",
  title: "Household check: adults in a child's household known to mental health or drug and alcohol services",
  status: "active",
  kind: "operation",
  code: "household-check",
  resource: ["Patient"],
  system: false,
  type: true,
  instance: false,
  affectsState: false,
  description:
    "Identify a child by nhsNumber, or laChildId (the caller's LA's child id), or name + birthDate + postcode. Returns one `adult` per open CPA or drug and alcohol treatment episode of an adult in the child's households that the caller may see, redacted to the permitted level; adults the caller may not see are not listed. Every decision is audited; if the audit cannot be written the request is refused (503).",
  parameter: [
    { name: "nhsNumber", use: "in", min: 0, max: "1", type: "string", documentation: "valueString or valueIdentifier" },
    {
      name: "laChildId",
      use: "in",
      min: 0,
      max: "1",
      type: "string",
      documentation: "The LA child id of the caller's LA",
    },
    {
      name: "name",
      use: "in",
      min: 0,
      max: "1",
      type: "HumanName",
      documentation: "valueHumanName (family, given) or valueString (family)",
    },
    { name: "birthDate", use: "in", min: 0, max: "1", type: "date" },
    { name: "postcode", use: "in", min: 0, max: "1", type: "string" },
    {
      name: "adult",
      use: "out",
      min: 0,
      max: "*",
      documentation: "One adult service episode the caller may see",
      part: [
        { name: "patient", use: "out", min: 0, max: "1", type: "Patient" },
        { name: "episode", use: "out", min: 0, max: "1", type: "EpisodeOfCare" },
        {
          name: "leadProfessional",
          use: "out",
          min: 0,
          max: "1",
          type: "Practitioner",
          documentation: "Care coordinator or key worker, at contact and above",
        },
        ...levelParts,
      ],
    },
  ],
} as OperationDefinition;

/** `Patient/{id}/$family` (instance level, GET). */
export const FAMILY: OperationDefinition = {
  resourceType: "OperationDefinition",
  id: "family",
  url: url("family"),
  name: "Family",
  title: "Family: the children in an adult patient's households, their CP / CIN / looked-after status and LA contact",
  status: "active",
  kind: "operation",
  code: "family",
  resource: ["Patient"],
  system: false,
  type: false,
  instance: true,
  affectsState: false,
  description:
    "For adult services: one `child` per child in the patient's households the caller may see, with open child in need, child protection and looked-after episodes, active child protection plans, status Flags and the allocated LA contact, redacted to the permitted level. A caller not permitted the patient gets an empty answer, as for an unknown id. Every decision is audited.",
  parameter: [
    {
      name: "child",
      use: "out",
      min: 0,
      max: "*",
      part: [
        { name: "child", use: "out", min: 0, max: "1", type: "Patient" },
        { name: "episode", use: "out", min: 0, max: "*", type: "EpisodeOfCare" },
        { name: "laContact", use: "out", min: 0, max: "*", type: "Practitioner" },
        { name: "plan", use: "out", min: 0, max: "*", type: "CarePlan" },
        { name: "flag", use: "out", min: 0, max: "*", type: "Flag" },
        ...levelParts,
      ],
    },
  ],
} as OperationDefinition;

/** Both, by id. */
export const LOOKUP_OPERATIONS: Record<string, OperationDefinition> = {
  "household-check": HOUSEHOLD_CHECK,
  family: FAMILY,
};

/** CapabilityStatement `rest.resource.operation` entries for Patient. */
export const LOOKUP_CAPABILITY_OPERATIONS = [
  {
    name: "household-check",
    definition: HOUSEHOLD_CHECK.url as string,
    documentation: "POST Patient/$household-check (children's systems)",
  },
  { name: "family", definition: FAMILY.url as string, documentation: "GET Patient/{id}/$family (adult services)" },
];
