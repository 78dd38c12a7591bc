/**
 * Builds the FHIR R4 AuditEvent of one access decision in the shape of IHE Basic Audit Log Patterns (BALP:
 * RESTful read / query, docs/AUDIT.md): who asked (user, organisation, role, purpose), what was read (the
 * patient, the resource, a search's query with its values withheld), the outcome and the decision (level,
 * legal basis, rule, obligations, reasons). It carries references, ids and codes only, never a name, NHS
 * number, birth date or address.
 */
import type { Actor } from "../auth/actor.js";
import { codeSystemUrl, profileUrl, TFG_BASE } from "../fhir/canonical.js";
import { isSupportedType } from "../fhir/resource-types.js";
import { ORGANISATION_SYSTEM } from "../ingest/sender.js";

/** Disclosure levels (DOMAIN.md §4), lowest first. */
export type AuditLevel = "none" | "existence" | "contact" | "summary" | "sensitive";

/**
 * What the audit needs of a policy decision. The policy engine (src/policy) has its own Decision; callers map it
 * onto this. Reasons and obligations are codes or fixed phrases: never an identifiable value.
 */
export interface AuditDecision {
  effect: "permit" | "deny";
  level: AuditLevel;
  /** The legal basis the permit rests on, e.g. "Children Act 1989 s47; DPA 2018 Sch. 1 Part 2 para 18". */
  legalBasis?: string | undefined;
  /** Id of the rule that matched (or of the default deny). */
  rule: string;
  obligations?: readonly string[] | undefined;
  reasons?: readonly string[] | undefined;
  /**
   * Organisations whose safeguarding lead must be told of this disclosure (obligation
   * `notify-record-owner-safeguarding-lead`): the auditor writes each a notice with the AuditEvent (disclosure-notice.ts).
   */
  notify?: readonly string[] | undefined;
}

/** The REST interactions the audit distinguishes (BALP subtypes, http://hl7.org/fhir/restful-interaction). */
export type AuditInteraction = "read" | "vread" | "search" | "history" | "operation";

/** What was asked for. */
export interface AuditAccess {
  interaction: AuditInteraction;
  /** The resource type asked for (searches and history of a type), e.g. `Patient`. */
  resourceType?: string | undefined;
  /** The resource read (`Type/id`): read, vread, instance history, an instance operation. */
  resource?: string | undefined;
  /** The patient the access is about (`Patient/id`), when known. */
  patient?: string | undefined;
  /** For searches: the query parameters as sent; values are withheld unless safe (see {@link auditQuery}). */
  query?: readonly (readonly [string, string])[] | undefined;
  /** For operations: the operation's name with its `$`, e.g. `$household-check`. */
  operation?: string | undefined;
  /** An object that is not a FHIR resource (a national return job), named by identifier. */
  object?: { system: string; value: string } | undefined;
}

/** Who answered: the gateway's name (source.observer and the server agent) and optionally its site. */
export interface AuditSource {
  name: string;
  site?: string | undefined;
}

/** Everything one AuditEvent is built from. `recorded` comes from the injected clock. */
export interface AuditInput {
  id: string;
  recorded: Date;
  actor: Actor;
  access: AuditAccess;
  decision: AuditDecision;
  source: AuditSource;
}

/** The project's AuditEvent profile. */
export const AUDIT_EVENT_PROFILE = profileUrl("TFG-AuditEvent");
/** entity.detail types the decision is recorded under (docs/AUDIT.md). */
export const DETAIL = {
  effect: "decision",
  level: "disclosure-level",
  legalBasis: "legal-basis",
  rule: "rule",
  obligation: "obligation",
  reason: "reason",
} as const;

const EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const RESTFUL = "http://hl7.org/fhir/restful-interaction";
const PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const DICOM = "http://dicom.nema.org/resources/ontology/DCM";
const SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type";
const ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role";
const ROLE_CLASS = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";

/** Code system of the token's role (src/auth/actor.ts ROLES); no CodeSystem resource is published for it yet. */
export const ROLE_SYSTEM = codeSystemUrl("actor-role");
/** Code system of the token's organisation type (src/auth/actor.ts ORG_TYPES); not published yet either. */
export const ORG_TYPE_SYSTEM = codeSystemUrl("organisation-type");
const PURPOSE_SYSTEM = codeSystemUrl("purpose-of-use");
const TOKEN_ID_SYSTEMS: Record<Actor["tokenId"]["kind"], string> = {
  jti: `${TFG_BASE}/Id/token-jti`,
  sha256: `${TFG_BASE}/Id/token-sha256`,
  "cli-run": `${TFG_BASE}/Id/cli-run`,
};

const SUBTYPE: Record<AuditInteraction, { code: string; display: string }> = {
  read: { code: "read", display: "read" },
  vread: { code: "vread", display: "vread" },
  search: { code: "search", display: "search" },
  history: { code: "history", display: "history" },
  operation: { code: "operation", display: "operation" },
};

/** Query parameters whose values are kept in the audit (they carry no personal value); others become `*`. */
const SAFE_PARAMS = new Set([
  "_id",
  "_count",
  "_sort",
  "_summary",
  "_elements",
  "_include",
  "_revinclude",
  "_total",
  "_format",
  "status",
  "type",
  "subtype",
  "action",
  "outcome",
]);
/** A literal reference `Type/id` to a served type (ids are not identifiable values; `Smith/John` is not one). */
const REFERENCE = /^([A-Z][A-Za-z]{1,63})\/[A-Za-z0-9\-.]{1,64}$/;
const isReference = (v: string) => isSupportedType(REFERENCE.exec(v)?.[1] ?? "");

/**
 * The query as the audit keeps it: `name=value&…` in the order sent, where a value is kept only for parameters that
 * never carry personal values (`_id`, paging and result parameters, status codes) or when it is a plain reference
 * `Type/id` to a served type; every other value (an identifier, a name, a birth date, a postcode) is written `*`.
 */
export function auditQuery(params: readonly (readonly [string, string])[]): string {
  return params
    .filter(([name]) => name !== "_cursor")
    .map(([name, value]) => {
      const base = name.split(":")[0] ?? name;
      const keep = SAFE_PARAMS.has(base) || value.split(",").every(isReference);
      return `${encodeURIComponent(name)}=${keep ? encodeURIComponent(value) : "*"}`;
    })
    .join("&");
}

/** Base64 of a string's UTF-8 bytes (Web APIs only). */
function base64(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

const coding = (system: string, code: string, display?: string) => ({
  system,
  code,
  ...(display ? { display } : {}),
});

/** The entity.detail entries that record the decision. */
function decisionDetails(d: AuditDecision): { type: string; valueString: string }[] {
  const details: { type: string; valueString: string }[] = [
    { type: DETAIL.effect, valueString: d.effect },
    { type: DETAIL.level, valueString: d.level },
    { type: DETAIL.rule, valueString: d.rule },
  ];
  if (d.legalBasis) details.push({ type: DETAIL.legalBasis, valueString: d.legalBasis });
  for (const o of d.obligations ?? []) details.push({ type: DETAIL.obligation, valueString: o });
  for (const r of d.reasons ?? []) details.push({ type: DETAIL.reason, valueString: r });
  return details;
}

/** The entities of an access: the patient, the resource read, the query; the decision details go on the first. */
function entities(access: AuditAccess, decision: AuditDecision): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (access.patient) {
    out.push({
      what: { reference: access.patient },
      type: coding(ENTITY_TYPE, "1", "Person"),
      role: coding(OBJECT_ROLE, "1", "Patient"),
    });
  }
  // BALP PatientRead has both: the data read (role 4) and the patient it is about (role 1), even when they are one.
  if (access.resource) {
    out.push({
      what: { reference: access.resource },
      type: coding(ENTITY_TYPE, "2", "System Object"),
      role: coding(OBJECT_ROLE, "4", "Domain Resource"),
    });
  }
  if (access.interaction === "search" || access.query) {
    const text = `${access.resourceType ?? ""}?${auditQuery(access.query ?? [])}`;
    out.push({
      type: coding(ENTITY_TYPE, "2", "System Object"),
      role: coding(OBJECT_ROLE, "24", "Query"),
      query: base64(text),
    });
  }
  if (access.object) {
    out.push({
      what: { identifier: { system: access.object.system, value: access.object.value } },
      type: coding(ENTITY_TYPE, "2", "System Object"),
      role: coding(OBJECT_ROLE, "4", "Domain Resource"),
    });
  }
  if (access.operation) {
    out.push({
      type: coding(ENTITY_TYPE, "2", "System Object"),
      role: coding(OBJECT_ROLE, "4", "Domain Resource"),
      name: access.operation,
    });
  }
  if (out.length === 0) {
    out.push({ type: coding(ENTITY_TYPE, "2", "System Object"), name: access.resourceType ?? "system" });
  }
  const [first] = out;
  if (first) first.detail = decisionDetails(decision);
  return out;
}

/** Builds the AuditEvent of one decision (BALP read / query shape; docs/AUDIT.md lists every element). */
export function buildAuditEvent(input: AuditInput): Record<string, unknown> {
  const { actor, access, decision, source } = input;
  const purpose = { coding: [coding(PURPOSE_SYSTEM, actor.purposeOfUse)] };
  const permit = decision.effect === "permit";
  return {
    resourceType: "AuditEvent",
    id: input.id,
    meta: { profile: [AUDIT_EVENT_PROFILE] },
    type: coding(EVENT_TYPE, "rest", "Restful Operation"),
    subtype: [coding(RESTFUL, SUBTYPE[access.interaction].code, SUBTYPE[access.interaction].display)],
    action: access.interaction === "read" || access.interaction === "vread" ? "R" : "E",
    recorded: input.recorded.toISOString(),
    outcome: permit ? "0" : "4",
    ...(permit ? {} : { outcomeDesc: `Denied (rule ${decision.rule})` }),
    purposeOfEvent: [purpose],
    agent: [
      {
        type: { coding: [coding(PARTICIPATION, "IRCP", "information recipient")] },
        role: [{ coding: [coding(ROLE_SYSTEM, actor.role)] }],
        who: { identifier: { system: actor.issuer, value: actor.subject } },
        requestor: true,
        policy: [`${TOKEN_ID_SYSTEMS[actor.tokenId.kind]}|${actor.tokenId.value}`],
        purposeOfUse: [purpose],
      },
      {
        type: { coding: [coding(ROLE_CLASS, "PROV", "healthcare provider")] },
        role: [{ coding: [coding(ORG_TYPE_SYSTEM, actor.orgType)] }],
        who: { identifier: { system: ORGANISATION_SYSTEM, value: actor.org } },
        requestor: false,
      },
      {
        type: { coding: [coding(DICOM, "110152", "Destination Role ID")] },
        who: { display: source.name },
        requestor: false,
      },
    ],
    source: {
      ...(source.site ? { site: source.site } : {}),
      observer: { display: source.name },
      type: [coding(SOURCE_TYPE, "4", "Application Server")],
    },
    entity: entities(access, decision),
  };
}
