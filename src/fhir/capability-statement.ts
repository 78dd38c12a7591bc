/** The CapabilityStatement served at /fhir/metadata, generated from what the gateway actually implements. */

import type { CapabilityStatement, CapabilityStatementRestResource } from "fhir/r4";
import { READ_ONLY_TYPES } from "../audit/access.js";
import { LOOKUP_CAPABILITY_OPERATIONS } from "../lookups/operation-definitions.js";
import { RESOURCE_TYPES, SEARCH_PARAMS, type SearchParamType } from "./resource-types.js";
import { PROFILE_CATALOG } from "./validation/generated/catalog.generated.js";

/** Gateway software identity for the CapabilityStatement. */
export interface SoftwareInfo {
  name: string;
  version: string;
}

/** The type-level $validate operation (src/http/validate-route.ts), offered on every served type. */
const VALIDATE_OPERATION = {
  name: "validate",
  definition: "http://hl7.org/fhir/OperationDefinition/Resource-validate",
  documentation:
    "Validates against FHIR R4 and the profiles the resource claims in meta.profile or names in the profile parameter; nothing is stored.",
};

/** Patient/$everything (src/fhir/everything.ts). */
const EVERYTHING_OPERATION = {
  name: "everything",
  definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything",
  documentation:
    "GET Patient/{id}/$everything: the patient, its R4 compartment (AuditEvent apart) and the practitioners, roles, organisations, locations and care teams they name, each decided and redacted by the sharing protocol as a search is; _type and _since narrow it; start and end are not applied (a warning says so); one Bundle of at most the page limit.",
};

const DATE_PREFIXES = "eq, ne, gt, lt, ge, le, sa, eb, ap";

/** What each parameter type accepts, as implemented in src/fhir/search-query.ts. */
const MODIFIER_NOTES: Record<SearchParamType, string> = {
  string: "case- and accent-insensitive starts-with on any part; :exact, :contains, :missing",
  token: "system|code, |code, code, system|; :not, :missing",
  uri: "exact match; :missing",
  date: `prefixes ${DATE_PREFIXES}, any precision, periods as ranges; :missing`,
  reference: "Type/id, an absolute URL or an id; :[type], :missing",
};

/** `_include` values for `type`: each of its reference parameters. */
const includesOf = (type: string) =>
  (SEARCH_PARAMS[type] ?? []).filter((p) => p.type === "reference").map((p) => `${type}:${p.name}`);

/** `_revinclude` values for `type`: every served type's reference parameters that may point at it (AuditEvent only for itself: docs/AUDIT.md). */
const revIncludesOf = (type: string) =>
  RESOURCE_TYPES.filter((source) => !READ_ONLY_TYPES.has(source) || source === type).flatMap((source) =>
    (SEARCH_PARAMS[source] ?? [])
      .filter((p) => p.type === "reference" && (!p.targets || p.targets.includes(type)))
      .map((p) => `${source}:${p.name}`),
  );

/** Project profile URLs by the resource type they constrain (generated from profiles/). */
const profilesOf = (type: string) => PROFILE_CATALOG.filter((p) => p.type === type).map((p) => p.url);

/**
 * Builds the CapabilityStatement (http://hl7.org/fhir/R4/capabilitystatement.html). Every
 * interaction and search parameter listed here has a route and a test; nothing else is claimed.
 */
export function capabilityStatement(base: string, software: SoftwareInfo, releaseDate: string): CapabilityStatement {
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date: releaseDate,
    kind: "instance",
    software: { name: software.name, version: software.version },
    implementation: { description: "Think Family Gateway", url: base },
    fhirVersion: "4.0.1",
    format: ["application/fhir+json", "application/json"],
    patchFormat: ["application/json-patch+json"],
    rest: [
      {
        mode: "server",
        security: {
          cors: false,
          service: [
            {
              coding: [
                {
                  system: "http://terminology.hl7.org/CodeSystem/restful-security-service",
                  code: "OAuth",
                  display: "OAuth",
                },
              ],
            },
          ],
          description:
            "Bearer JWT from a configured issuer. The token names the organisation, its type, the role and the purpose of use.",
        },
        interaction: [
          { code: "transaction" },
          {
            code: "history-system",
            documentation:
              "Newest first; _count, _since, _at; next links carry a cursor, so writes between pages repeat nothing",
          },
        ],
        resource: RESOURCE_TYPES.map((type) => ({
          type: type as CapabilityStatementRestResource["type"],
          ...(profilesOf(type).length ? { supportedProfile: profilesOf(type) } : {}),
          versioning: "versioned-update" as const,
          readHistory: true,
          updateCreate: !READ_ONLY_TYPES.has(type),
          conditionalCreate: false,
          conditionalUpdate: false,
          conditionalDelete: "not-supported" as const,
          interaction: READ_ONLY_TYPES.has(type)
            ? (["create", "read", "vread", "history-instance", "history-type", "search-type"] as const).map((code) => ({
                code,
                ...(code === "create"
                  ? {
                      documentation:
                        "A system records its own AuditEvent into the hash-chained audit trail (IHE BALP Record Audit Event); never updated or deleted",
                    }
                  : code === "search-type"
                    ? {
                        documentation: "Read by safeguarding leads and systems; every read is itself audited",
                      }
                    : {}),
              }))
            : [
                ...(
                  [
                    "read",
                    "vread",
                    "update",
                    "delete",
                    "history-instance",
                    "history-type",
                    "create",
                    "search-type",
                  ] as const
                ).map((code) => ({ code })),
                {
                  code: "patch" as const,
                  documentation:
                    "JSON Patch (application/json-patch+json) with If-Match; the result is validated like an update. FHIRPath Patch is not supported (415).",
                },
              ],
          searchInclude: includesOf(type),
          searchRevInclude: revIncludesOf(type),
          searchParam: [
            {
              name: "_id",
              definition: "http://hl7.org/fhir/SearchParameter/Resource-id",
              type: "token" as const,
              documentation: "Logical id; comma-separated for any of several",
            },
            {
              name: "_lastUpdated",
              definition: "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
              type: "date" as const,
              documentation: `Prefixes ${DATE_PREFIXES} at any precision; a value without a zone is read in the server's zone`,
            },
            ...(SEARCH_PARAMS[type] ?? []).map((p) => ({
              name: p.name,
              definition: p.url,
              type: p.type,
              documentation: `${p.documentation} (${MODIFIER_NOTES[p.type]})`,
            })),
          ],
          operation:
            type === "Patient"
              ? [VALIDATE_OPERATION, EVERYTHING_OPERATION, ...LOOKUP_CAPABILITY_OPERATIONS]
              : [VALIDATE_OPERATION],
        })),
      },
    ],
  };
}
