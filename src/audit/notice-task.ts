/**
 * What the auditor's Tasks have in common (the s47 disclosure notice, disclosure-notice.ts; the break-glass review,
 * break-glass-review-task.ts): a FHIR Task `requested` for an organisation's safeguarding lead, owned by that
 * organisation (owner tag and `owner`), its focus the AuditEvent it came with, its id derived from that AuditEvent's,
 * carrying ids, codes and references only.
 */
import { withOwner } from "../auth/ownership.js";
import { codeSystemUrl } from "../fhir/canonical.js";
import { ORGANISATION_SYSTEM } from "../ingest/sender.js";
import type { AuditAccess } from "./audit-event.js";

/** The code system of the auditor's Tasks' `code` (profiles/CodeSystem-notice.json). */
export const NOTICE_CODE_SYSTEM = codeSystemUrl("notice");

/** A Task as the auditor writes it. */
export type NoticeTask = Record<string, unknown> & { resourceType: "Task"; id: string };

/** An identifier-only Reference. */
export type IdentifierReference = { identifier: { system: string; value: string } };

/**
 * A Task id derived from the AuditEvent's id `auditId`: `{auditId}{separator}{tail}`, the tail reduced to `a-z0-9`, at
 * most 64 characters. One AuditEvent therefore never makes two Tasks of one kind for one tail, and kinds that use
 * different separators never share an id.
 */
export const noticeTaskId = (auditId: string, separator: "-" | ".", tail: string) =>
  `${auditId}${separator}${tail.toLowerCase().replace(/[^a-z0-9]/g, "")}`.slice(0, 64);

/** An organisation named by its code, as `owner` and `requester` name one. */
export const organisationReference = (org: string): IdentifierReference => ({
  identifier: { system: ORGANISATION_SYSTEM, value: org },
});

/** What a notice Task is made of; `extra` adds the elements of its kind (priority, description, restriction…). */
export interface NoticeTaskInput {
  id: string;
  code: string;
  /** The AuditEvent it comes with (its `id` and `recorded`). */
  event: Record<string, unknown>;
  access: AuditAccess;
  /** The organisation whose lead is to act: the Task's owner. */
  owner: string;
  requester: IdentifierReference;
  extra?: Record<string, unknown>;
}

/**
 * The Task: status `requested`, intent `order`, `code` from {@link NOTICE_CODE_SYSTEM}, owned by `owner`, `for` the
 * patient when known, `focus` the AuditEvent, `authoredOn` its instant, `input` the record read when there is one.
 */
export function noticeTask(t: NoticeTaskInput): NoticeTask {
  return withOwner(
    {
      resourceType: "Task" as const,
      id: t.id,
      status: "requested",
      intent: "order",
      code: { coding: [{ system: NOTICE_CODE_SYSTEM, code: t.code }] },
      ...t.extra,
      focus: { reference: `AuditEvent/${String(t.event.id)}` },
      ...(t.access.patient ? { for: { reference: t.access.patient } } : {}),
      authoredOn: t.event.recorded,
      requester: t.requester,
      owner: organisationReference(t.owner),
      ...(t.access.resource
        ? { input: [{ type: { text: "record" }, valueReference: { reference: t.access.resource } }] }
        : {}),
    },
    t.owner,
  );
}

/**
 * Whether `task` is one of the safeguarding lead's notices: a Task coded `code` of {@link NOTICE_CODE_SYSTEM}, or with
 * no `code` any of them (an s47 disclosure notice, a break-glass review).
 */
export function hasNoticeCode(task: Record<string, unknown> | undefined, code?: string): boolean {
  if (task?.resourceType !== "Task") return false;
  const coding = (task.code as { coding?: { system?: unknown; code?: unknown }[] } | undefined)?.coding;
  return (
    Array.isArray(coding) &&
    coding.some((c) => c?.system === NOTICE_CODE_SYSTEM && (code === undefined || c?.code === code))
  );
}

/** Whether `resource` is any notice for the safeguarding lead: read through /fhir under the review relationship only (src/policy/enforce.ts). */
export const isLeadNotice = (resource: Record<string, unknown> | undefined): boolean => hasNoticeCode(resource);
