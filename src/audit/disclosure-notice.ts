/**
 * The s47 disclosure notice (obligation `notify-record-owner-safeguarding-lead`; docs/AUDIT.md): when a permit shows
 * another organisation's record under a section 47 enquiry, that organisation's safeguarding lead is told. The notice
 * is a FHIR Task for the lead of the organisation told — owned by it (so its own staff read it under the
 * recording-organisation rule, and no one else), for the patient, its focus the AuditEvent — written just before the
 * AuditEvent (auditor.ts; the audit trail may be another database), so a recorded disclosure always has its notice. The lead marks it reviewed by
 * updating its status (`completed`). It carries who was told, by which organisation, when, the level and the rule:
 * codes and references only, never the stated justification.
 */
import { withOwner } from "../auth/ownership.js";
import { codeSystemUrl } from "../fhir/canonical.js";
import { ORGANISATION_SYSTEM } from "../ingest/sender.js";
import type { AuditAccess, AuditDecision } from "./audit-event.js";

/** The code system of the notice's Task.code. */
export const NOTICE_CODE_SYSTEM = codeSystemUrl("notice");
/** Its code: a record was disclosed to children's services under section 47; the lead is to review it. */
export const DISCLOSURE_NOTICE_CODE = "s47-disclosure";

type Json = Record<string, unknown> & { resourceType: string; id: string };

/** A notice id: the AuditEvent's id and the organisation told (so one audit record never makes two for one organisation). */
const noticeId = (auditId: string, org: string) =>
  `${auditId}-${org.toLowerCase().replace(/[^a-z0-9]/g, "")}`.slice(0, 64);

/**
 * The notices `decision` asks for, for the AuditEvent `event` recording it, by caller organisation `caller`: one
 * Task per organisation in `decision.notify` (none for a deny, or a permit without the obligation).
 */
export function disclosureNotices(
  event: Record<string, unknown>,
  access: AuditAccess,
  decision: AuditDecision,
  caller: string,
): Json[] {
  if (decision.effect !== "permit" || !decision.notify?.length) return [];
  const auditId = String(event.id);
  const basis = decision.legalBasis ? ` (${decision.legalBasis})` : "";
  return decision.notify.map((org) =>
    withOwner(
      {
        resourceType: "Task",
        id: noticeId(auditId, org),
        status: "requested",
        intent: "order",
        priority: "urgent",
        code: { coding: [{ system: NOTICE_CODE_SYSTEM, code: DISCLOSURE_NOTICE_CODE }] },
        description: `Review a disclosure to ${caller} at level ${decision.level} under rule ${decision.rule}${basis}.`,
        focus: { reference: `AuditEvent/${auditId}` },
        ...(access.patient ? { for: { reference: access.patient } } : {}),
        authoredOn: event.recorded,
        requester: { identifier: { system: ORGANISATION_SYSTEM, value: caller } },
        owner: { identifier: { system: ORGANISATION_SYSTEM, value: org } },
        ...(access.resource
          ? { input: [{ type: { text: "record" }, valueReference: { reference: access.resource } }] }
          : {}),
      },
      org,
    ),
  );
}
