/**
 * Who may build, read and submit national returns (issue 11 scope 4; docs/RETURNS.md): purpose `statistics` and
 * a permitted role, for the caller's own organisation's data (a national body may build the aggregate and
 * de-identified returns of any scope). Decisions in the audit's terms, so every build, download and submission —
 * and every refusal — is recorded like any other access.
 */
import type { AuditDecision } from "../../audit/audit-event.js";
import type { Actor } from "../../auth/actor.js";
import type { ReturnKind, ReturnRequest } from "../port.js";
import type { JobState } from "./job-events.js";

/** Roles that may build and download returns. */
export const RETURN_BUILD_ROLES: readonly Actor["role"][] = ["analyst", "manager", "system"];
/** Roles that may submit a return to its national endpoint (a data manager, or a system). */
export const RETURN_SUBMIT_ROLES: readonly Actor["role"][] = ["manager", "system"];

/** The rule id recorded with every returns decision. */
export const RETURNS_RULE = "national-returns-statistics";
const LEGAL_BASIS = "UK GDPR Art. 6(1)(e), 9(2)(j); Children Act 1989 s83; Health and Social Care Act 2012 s259";

/** Which organisation types produce each kind for their own scope, and which scope field names them. */
const OWNERS: Record<ReturnKind, { orgTypes: readonly Actor["orgType"][]; field: "org" | "la"; national: boolean }> = {
  "mh-children": { orgTypes: ["mh-trust"], field: "org", national: true },
  ndtms: { orgTypes: ["drug-alcohol-service"], field: "org", national: false },
  "cin-census": { orgTypes: ["la-childrens-services"], field: "la", national: false },
  "cin-census-analytic": { orgTypes: ["la-childrens-services"], field: "la", national: true },
  "hidden-harm": { orgTypes: ["la-childrens-services", "safeguarding-partnership"], field: "la", national: true },
};

const deny = (reason: string): AuditDecision => ({
  effect: "deny",
  level: "none",
  rule: RETURNS_RULE,
  reasons: [reason],
});
const permit = (reason: string): AuditDecision => ({
  effect: "permit",
  level: "summary",
  rule: RETURNS_RULE,
  legalBasis: LEGAL_BASIS,
  reasons: [reason],
});

/** The scope a request names for its kind, defaulting to the caller's organisation. */
export function scopedRequest(actor: Actor, request: ReturnRequest): ReturnRequest {
  const field = OWNERS[request.kind].field;
  if (request.scope[field] !== undefined) return request;
  if (actor.orgType === "national-body") return request;
  return { ...request, scope: { ...request.scope, [field]: actor.org } };
}

function purposeAndRole(actor: Actor, roles: readonly Actor["role"][]): string | undefined {
  if (actor.purposeOfUse !== "statistics") return "returns are built and sent only for the purpose statistics";
  if (!roles.includes(actor.role)) return `role ${actor.role} may not do this with national returns`;
  return undefined;
}

/** May `actor` build `request` (already scoped)? */
export function buildDecision(actor: Actor, request: ReturnRequest): AuditDecision {
  const refused = purposeAndRole(actor, RETURN_BUILD_ROLES);
  if (refused) return deny(refused);
  const owner = OWNERS[request.kind];
  if (actor.orgType === "national-body") {
    return owner.national
      ? permit("a national body builds aggregate and de-identified returns")
      : deny(`a national body does not build the ${request.kind} return; its provider sends it`);
  }
  if (!owner.orgTypes.includes(actor.orgType))
    return deny(`a ${actor.orgType} does not produce the ${request.kind} return`);
  if (request.scope[owner.field] !== actor.org) return deny("a return covers only the caller's own organisation");
  return permit("an organisation builds its own return");
}

/** May `actor` read (or, with `submit`, send) the job? Only its requesting organisation, for statistics. */
export function jobDecision(actor: Actor, job: JobState, action: "read" | "submit"): AuditDecision {
  const refused = purposeAndRole(actor, action === "submit" ? RETURN_SUBMIT_ROLES : RETURN_BUILD_ROLES);
  if (refused) return deny(refused);
  if (job.by.org !== actor.org) return deny("a return job is seen only by the organisation that requested it");
  return permit(
    action === "submit"
      ? "the requesting organisation submits its return"
      : "the requesting organisation reads its return",
  );
}
