/**
 * `Patient/{id}/$everything` (http://hl7.org/fhir/R4/patient-operation-everything.html) as one search of the
 * resource service: the Patient, every served resource in its compartment (R4 CompartmentDefinition `patient`, its
 * parameters for the served types) through `_revinclude`, and the practitioners, roles, organisations, locations and
 * care teams those point at through `_include:iterate`. So the sharing protocol decides, redacts and audits each
 * resource exactly as it does a search (docs/POLICY.md), and nothing new can leak by this door.
 */
import type { FhirIssue } from "./errors.js";
import { badRequest } from "./errors.js";
import { isSupportedType, SEARCH_PARAMS, searchParam } from "./resource-types.js";

/**
 * The patient compartment of R4 (CompartmentDefinition-patient) for the served types: the parameters that put a
 * resource of each type in a Patient's compartment. AuditEvent is left out: its reads are gated and audited by the
 * audit gate (docs/AUDIT.md). Location, Organization, Practitioner, PractitionerRole, Subscription and Task have no
 * compartment parameter in R4.
 */
export const PATIENT_COMPARTMENT: Readonly<Record<string, readonly string[]>> = {
  CarePlan: ["patient", "performer"],
  CareTeam: ["patient", "participant"],
  Consent: ["patient"],
  Encounter: ["patient"],
  EpisodeOfCare: ["patient"],
  Flag: ["patient"],
  Group: ["member"],
  Observation: ["subject", "performer"],
  Patient: ["link"],
  Person: ["patient"],
  Provenance: ["patient"],
  RelatedPerson: ["patient"],
  ServiceRequest: ["subject", "performer"],
};

/** Types a compartment resource may point at that `$everything` brings along (the people and places of care). */
const REFERENCED = ["Practitioner", "PractitionerRole", "Organization", "Location", "CareTeam"];

/** The operation's parameters, parsed. */
export interface EverythingQuery {
  /** The search the resource service runs. */
  params: [string, string][];
  /** Only resources updated at or after this instant (`_since`), besides the Patient itself. */
  since?: string;
  /** Parameters read but not applied (`start`, `end`), as warnings for the answer. */
  ignored: FhirIssue[];
}

/** Parses `$everything`'s query (`_type`, `_since`, `start`, `end`) for Patient `id` into the search that answers it. */
export function everythingQuery(id: string, query: readonly (readonly [string, string])[]): EverythingQuery {
  const get = (k: string) => query.find(([key]) => key === k)?.[1];
  const typeParam = get("_type");
  const types = typeParam?.split(",").map((t) => t.trim());
  for (const t of types ?? []) {
    if (!isSupportedType(t))
      throw badRequest(`_type names ${t.slice(0, 40)}, which this server does not serve`, ["_type"]);
  }
  const wanted = (t: string) => !types || types.includes(t);
  const since = get("_since");
  if (since !== undefined && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(since)) {
    throw badRequest("_since must be an instant with a time zone, e.g. 2026-04-01T00:00:00Z", ["_since"]);
  }
  const params: [string, string][] = [
    ["_id", id],
    ["_count", "1"],
  ];
  for (const [type, names] of Object.entries(PATIENT_COMPARTMENT)) {
    if (!wanted(type)) continue;
    for (const name of names) {
      const def = searchParam(type, name);
      if (def?.type === "reference" && (!def.targets || def.targets.includes("Patient"))) {
        params.push(["_revinclude", `${type}:${name}:Patient`]);
      }
    }
    for (const def of SEARCH_PARAMS[type] ?? []) {
      if (def.type !== "reference" || def.indexedAs) continue;
      for (const target of REFERENCED) {
        if (wanted(target) && def.targets?.includes(target)) {
          params.push(["_include:iterate", `${type}:${def.name}:${target}`]);
        }
      }
    }
  }
  const ignored: FhirIssue[] = ["start", "end"]
    .filter((k) => get(k) !== undefined)
    .map((k) => ({
      severity: "warning",
      code: "not-supported",
      diagnostics: `${k} (care dates) is not applied: the answer holds every date; use _since or _type to narrow it`,
      expression: [k],
    }));
  return { params, ...(since !== undefined ? { since } : {}), ignored };
}
