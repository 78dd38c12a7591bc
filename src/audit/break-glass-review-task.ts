/**
 * The break-glass review Task (obligation `review-by-safeguarding-lead`; docs/LOOKUPS.md): every break-glass permit the
 * auditor records comes with a Task for the safeguarding lead of the caller's organisation — owned by it, for the
 * patient, its focus the AuditEvent, the record read as input, the user who read it as requester (issuer and subject),
 * the permit's end as `restriction.period.end` — written just before the AuditEvent (auditor.ts), as the s47 notice is.
 * The review queue lists these Tasks (src/lookups/break-glass-queue.ts); a lead's review completes one with the outcome
 * and the reviewer as `output` and an optional note (src/lookups/break-glass-review.ts). Ids, codes and references
 * only: never the stated reason.
 */
import { codeSystemUrl } from "../fhir/canonical.js";
import type { AuditAccess, AuditDecision } from "./audit-event.js";
import {
  hasNoticeCode,
  type IdentifierReference,
  NOTICE_CODE_SYSTEM,
  type NoticeTask,
  noticeTask,
  noticeTaskId,
} from "./notice-task.js";

/** The Task's code (in the notice code system): a break-glass read awaits its review. */
export const BREAK_GLASS_REVIEW_CODE = "break-glass-review";
/** The obligation that asks for the review. */
export const REVIEW_OBLIGATION = "review-by-safeguarding-lead";
/** `output.type` codes (notice code system): the review's outcome, and who reviewed. */
export const OUTPUT = { outcome: "review-outcome", reviewer: "reviewer" } as const;
/** The code system of the outcome (profiles/CodeSystem-break-glass-review-outcome.json). */
export const REVIEW_OUTCOME_SYSTEM = codeSystemUrl("break-glass-review-outcome");
/** A reviewer's finding: the break-glass read was, or was not, appropriate. */
export const REVIEW_OUTCOMES = ["appropriate", "inappropriate"] as const;
/** One of {@link REVIEW_OUTCOMES}. */
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number];

/** Who: a token's issuer and subject. */
export interface ReviewUser {
  issuer?: string | undefined;
  subject?: string | undefined;
}

/** A completed review as the Task records it. */
export interface ReviewRecord {
  by: ReviewUser;
  at: string;
  outcome: ReviewOutcome;
  note?: string | undefined;
}

const EXPIRES = "expires-after ";
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The review Task's id for the AuditEvent `auditId` (its `.` never appears in a disclosure notice's id). */
export const reviewTaskId = (auditId: string) => noticeTaskId(auditId, ".", "review");

/** A user as an identifier-only Reference (system the token issuer, value its subject). */
export const userReference = (user: { issuer: string; subject: string }): IdentifierReference => ({
  identifier: { system: user.issuer, value: user.subject },
});

/**
 * The review Task `decision` asks for (a permit carrying {@link REVIEW_OBLIGATION}), for the AuditEvent `event`
 * recording it, by `actor`: owned by the actor's organisation. None for a deny or another permit.
 */
export function breakGlassReviewTasks(
  event: Record<string, unknown>,
  access: AuditAccess,
  decision: AuditDecision,
  actor: { org: string; issuer: string; subject: string },
): NoticeTask[] {
  if (decision.effect !== "permit" || !decision.obligations?.includes(REVIEW_OBLIGATION)) return [];
  const expires = decision.obligations.find((o) => o.startsWith(EXPIRES))?.slice(EXPIRES.length);
  return [
    noticeTask({
      id: reviewTaskId(String(event.id)),
      code: BREAK_GLASS_REVIEW_CODE,
      event,
      access,
      owner: actor.org,
      requester: userReference(actor),
      extra: {
        description: `Review a break-glass read at level ${decision.level} under rule ${decision.rule}.`,
        ...(expires && ISO.test(expires) ? { restriction: { period: { end: expires } } } : {}),
      },
    }),
  ];
}

/** Whether `resource` is a break-glass review Task. */
export const isBreakGlassReviewTask = (resource: Record<string, unknown> | undefined) =>
  hasNoticeCode(resource, BREAK_GLASS_REVIEW_CODE);

/**
 * For the resource service (`gatewayWritten`): a review Task is written only by the auditor and its review route, so
 * that no one — the user who broke the glass included, whose organisation owns it — closes one over REST.
 */
export const reviewTaskWriteRefusal = (resource: Record<string, unknown>) =>
  isBreakGlassReviewTask(resource)
    ? {
        diagnostics:
          "A break-glass review Task is written only by the gateway; a safeguarding lead records the review with POST /reports/break-glass/{id}/review",
        element: "code",
      }
    : undefined;

type Output = {
  type?: { coding?: { system?: string; code?: string }[] };
  valueCodeableConcept?: { coding?: { system?: string; code?: string }[] };
  valueReference?: { identifier?: { system?: string; value?: string } };
};

const outputOf = (task: Record<string, unknown>, code: string) =>
  ((task.output as Output[] | undefined) ?? []).find((o) =>
    o.type?.coding?.some((c) => c.system === NOTICE_CODE_SYSTEM && c.code === code),
  );

/** The review a completed Task records, or undefined while it awaits one. */
export function reviewOf(task: Record<string, unknown>): ReviewRecord | undefined {
  if (task.status !== "completed") return undefined;
  const code = outputOf(task, OUTPUT.outcome)?.valueCodeableConcept?.coding?.find(
    (c) => c.system === REVIEW_OUTCOME_SYSTEM,
  )?.code;
  if (!(REVIEW_OUTCOMES as readonly (string | undefined)[]).includes(code)) return undefined;
  const by = outputOf(task, OUTPUT.reviewer)?.valueReference?.identifier;
  const note = (task.note as { text?: string }[] | undefined)?.[0]?.text;
  return {
    by: { issuer: by?.system, subject: by?.value },
    at: String(task.lastModified ?? ""),
    outcome: code as ReviewOutcome,
    ...(note !== undefined ? { note } : {}),
  };
}

/**
 * `task` completed by `reviewer` at `at` with `outcome` (and `note`): status `completed`, `lastModified`, `output` the
 * outcome and the reviewer, `note` the reviewer's note with its time and author. The rest is kept as it was.
 */
export function completedTask(
  task: Record<string, unknown>,
  review: { reviewer: { issuer: string; subject: string }; at: string; outcome: ReviewOutcome; note?: string },
): Record<string, unknown> & { resourceType: "Task" } {
  const { note: _old, output: _none, ...rest } = task;
  const by = userReference(review.reviewer);
  return {
    ...rest,
    resourceType: "Task",
    status: "completed",
    lastModified: review.at,
    output: [
      {
        type: { coding: [{ system: NOTICE_CODE_SYSTEM, code: OUTPUT.outcome }] },
        valueCodeableConcept: { coding: [{ system: REVIEW_OUTCOME_SYSTEM, code: review.outcome }] },
      },
      { type: { coding: [{ system: NOTICE_CODE_SYSTEM, code: OUTPUT.reviewer }] }, valueReference: by },
    ],
    ...(review.note !== undefined ? { note: [{ authorReference: by, time: review.at, text: review.note }] } : {}),
  };
}
