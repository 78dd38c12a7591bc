/**
 * Who may read the audit trail (docs/AUDIT.md): safeguarding leads and systems, of any organisation; practitioners,
 * managers and analysts may not. Applies to `GET /fhir/AuditEvent…` and `GET /audit/verify`. A decision in the
 * audit's own terms, so the read of the audit is itself audited like any other.
 */
import type { Actor } from "../auth/actor.js";
import type { AuditDecision } from "./audit-event.js";

/** Resource types no REST or transaction write may touch: AuditEvents are written only by the audit writer. */
export const READ_ONLY_TYPES: ReadonlySet<string> = new Set(["AuditEvent"]);

/** Roles that may read AuditEvents and verify the chain. */
export const AUDIT_READER_ROLES: readonly Actor["role"][] = ["safeguarding-lead", "system"];

/** The rule id recorded for reads of the audit. */
export const AUDIT_READ_RULE = "audit-read-by-role";

/** Permit (level `summary`: the audit holds ids and codes, no content) for an audit reader; deny otherwise. */
export function auditReadDecision(actor: Actor): AuditDecision {
  if (AUDIT_READER_ROLES.includes(actor.role)) {
    return {
      effect: "permit",
      level: "summary",
      rule: AUDIT_READ_RULE,
      legalBasis: "UK GDPR Art. 5(2) (accountability)",
      reasons: ["role may read the audit trail"],
    };
  }
  return { effect: "deny", level: "none", rule: AUDIT_READ_RULE, reasons: ["role may not read the audit trail"] };
}
