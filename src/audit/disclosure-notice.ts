/**
 * The s47 disclosure notice (obligation `notify-record-owner-safeguarding-lead`; docs/AUDIT.md): when a permit shows
 * another organisation's record under a section 47 enquiry, that organisation's safeguarding lead is told. The notice
 * is a FHIR Task for the lead of the organisation told — owned by it (so its own staff read it under the
 * recording-organisation rule, and no one else), for the patient, its focus the AuditEvent — written just before the
 * AuditEvent (auditor.ts; the audit trail may be another database), so a recorded disclosure always has its notice. The lead marks it reviewed by
 * updating its status (`completed`). It carries who was told, by which organisation, when, the level and the rule:
 * codes and references only, never the stated justification. The Task's common shape: notice-task.ts.
 */
import type { AuditAccess, AuditDecision } from "./audit-event.js";
import { NOTICE_CODE_SYSTEM, type NoticeTask, noticeTask, noticeTaskId, organisationReference } from "./notice-task.js";

export { NOTICE_CODE_SYSTEM };
/** Its code: a record was disclosed to children's services under section 47; the lead is to review it. */
export const DISCLOSURE_NOTICE_CODE = "s47-disclosure";

/**
 * The notices `decision` asks for, for the AuditEvent `event` recording it, by caller organisation `caller`: one
 * Task per organisation in `decision.notify` (none for a deny, or a permit without the obligation).
 */
export function disclosureNotices(
  event: Record<string, unknown>,
  access: AuditAccess,
  decision: AuditDecision,
  caller: string,
): NoticeTask[] {
  if (decision.effect !== "permit" || !decision.notify?.length) return [];
  const auditId = String(event.id);
  const basis = decision.legalBasis ? ` (${decision.legalBasis})` : "";
  return decision.notify.map((org) =>
    noticeTask({
      // One per AuditEvent and organisation told.
      id: noticeTaskId(auditId, "-", org),
      code: DISCLOSURE_NOTICE_CODE,
      event,
      access,
      owner: org,
      requester: organisationReference(caller),
      extra: {
        priority: "urgent",
        description: `Review a disclosure to ${caller} at level ${decision.level} under rule ${decision.rule}${basis}.`,
      },
    }),
  );
}
