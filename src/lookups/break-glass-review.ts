/**
 * Marking a break-glass read reviewed (docs/LOOKUPS.md): a safeguarding lead of the review Task's owning organisation
 * records `appropriate` or `inappropriate` (and a note) on it — status `completed`, written as the next version of the
 * Task read (a concurrent change makes the commit fail, and the review is decided again on what won). Reviewing a
 * completed Task again with the same outcome changes nothing; another outcome is a 409. Every review and every
 * refusal is audited through the auditor (a deny before the error, a permit before the write). `POST
 * /reports/break-glass/{id}/review` and the console's review page both call {@link markBreakGlassReviewed}.
 */
import type { AuditAccess, AuditDecision } from "../audit/audit-event.js";
import type { Auditor } from "../audit/auditor.js";
import {
  completedTask,
  isBreakGlassReviewTask,
  REVIEW_OUTCOMES,
  type ReviewOutcome,
  reviewOf,
} from "../audit/break-glass-review-task.js";
import type { Actor } from "../auth/actor.js";
import { ownersOf } from "../auth/ownership.js";
import { badRequest, conflict, forbidden, GatewayError, notFound, preconditionFailed } from "../fhir/errors.js";
import { parseIfMatch, prepareWrite } from "../fhir/resource-service.js";
import { resourceOf } from "../reports/fhir-read.js";
import { type Store, StoreConflictError } from "../store/port.js";
import { type BreakGlassEntry, breakGlassEntry } from "./break-glass-queue.js";

/** What a review is made with: the store, the auditor and the app's clock. */
export interface BreakGlassReviewDeps {
  store: Store;
  auditor: Auditor;
  clock: () => Date;
}

/** A review as asked for. */
export interface ReviewRequest {
  outcome: ReviewOutcome;
  note?: string | undefined;
}

/** The answer: the entry as it now stands, and whether this review changed it. */
export interface ReviewResult {
  entry: BreakGlassEntry;
  changed: boolean;
}

/** Stands for a request body that is not JSON at all. */
export const MALFORMED_BODY: unique symbol = Symbol("malformed body");

/** The rule recorded for reviews of break-glass reads (and for reads of the queue: break-glass-routes.ts). */
export const BREAK_GLASS_REVIEW_RULE = "break-glass-review-by-safeguarding-lead";
/** The operation name the audit records a review under. */
export const REVIEW_OPERATION = "break-glass-review-outcome";
/** Longest note, in characters. */
export const MAX_NOTE = 1000;

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
// C0 controls other than tab, line feed and carriage return, DEL, and C1 controls: not FHIR string content.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters refused
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const ATTEMPTS = 3;

/** Reads a review body (`{ outcome, note? }`); 400 naming the member otherwise. Never repeats a value sent. */
export function parseReviewBody(body: unknown): ReviewRequest {
  if (body === MALFORMED_BODY || !body || typeof body !== "object" || Array.isArray(body))
    throw badRequest('The body must be a JSON object: { "outcome": "appropriate" | "inappropriate", "note"? }', [
      "body",
    ]);
  const o = body as Record<string, unknown>;
  if (Object.keys(o).some((k) => k !== "outcome" && k !== "note"))
    throw badRequest("The body takes only outcome and note", ["body"]);
  if (typeof o.outcome !== "string" || !(REVIEW_OUTCOMES as readonly string[]).includes(o.outcome))
    throw badRequest(`outcome must be one of ${REVIEW_OUTCOMES.join(", ")}`, ["outcome"]);
  if (o.note === undefined || o.note === null) return { outcome: o.outcome as ReviewOutcome };
  if (typeof o.note !== "string") throw badRequest("note must be a string", ["note"]);
  const note = o.note.trim();
  if (note.length > MAX_NOTE) throw badRequest(`note must be at most ${MAX_NOTE} characters`, ["note"]);
  if (CONTROL.test(note)) throw badRequest("note may not contain control characters", ["note"]);
  return { outcome: o.outcome as ReviewOutcome, ...(note ? { note } : {}) };
}

const deny = (reason: string): AuditDecision => ({
  effect: "deny",
  level: "none",
  rule: BREAK_GLASS_REVIEW_RULE,
  reasons: [reason],
});

const permit = (reason: string): AuditDecision => ({
  effect: "permit",
  level: "summary",
  rule: BREAK_GLASS_REVIEW_RULE,
  legalBasis: "UK GDPR Art. 5(2) (accountability)",
  reasons: [reason],
});

const accessOf = (id: string): AuditAccess => ({
  interaction: "operation",
  operation: REVIEW_OPERATION,
  resourceType: "Task",
  ...(ID.test(id) ? { resource: `Task/${id}` } : {}),
});

/** Audits `actor`'s review of Task `id` as refused (`reason`, a fixed phrase), then throws `error`. */
export async function refuseReview(
  deps: Pick<BreakGlassReviewDeps, "auditor">,
  actor: Actor,
  id: string,
  reason: string,
  error: GatewayError,
): Promise<never> {
  await deps.auditor.record(actor, accessOf(id), deny(reason));
  throw error;
}

/**
 * Records `actor`'s review (`body`, as parsed by {@link parseReviewBody}) of the break-glass review Task `id`. Refused
 * (and audited as a deny) with 403 for anyone but a safeguarding lead of the Task's owning organisation, 400 for a bad
 * id or body, 404 for no such review Task, 412 when `ifMatch` (an If-Match header) is not its current version, 409
 * when it was reviewed with another outcome.
 */
export async function markBreakGlassReviewed(
  deps: BreakGlassReviewDeps,
  actor: Actor,
  id: string,
  body: unknown,
  ifMatchHeader?: string,
): Promise<ReviewResult> {
  const access = accessOf(id);
  const refuse = (reason: string, error: GatewayError) => refuseReview(deps, actor, id, reason, error);
  if (actor.role !== "safeguarding-lead")
    return refuse(
      "role may not review break-glass reads",
      forbidden("Only a safeguarding lead of the organisation whose user broke the glass may review the read", [
        "role",
      ]),
    );
  if (!ID.test(id)) return refuse("not a Task id", badRequest("The Task id is not a FHIR id", ["id"]));
  let ifMatch: number | undefined;
  try {
    ifMatch = parseIfMatch(ifMatchHeader);
  } catch (err) {
    if (err instanceof GatewayError) return refuse("malformed If-Match", err);
    throw err;
  }
  let request: ReviewRequest;
  try {
    request = parseReviewBody(body);
  } catch (err) {
    if (err instanceof GatewayError) return refuse("malformed review", err);
    throw err;
  }
  let audited = false;
  for (let attempt = 1; ; attempt++) {
    const current = await deps.store.read("Task", id);
    const task = resourceOf(current);
    if (!current || !task || !isBreakGlassReviewTask(task))
      return refuse("no such break-glass review", notFound(`No break-glass review Task ${id}`));
    if (!ownersOf(task).some((o) => o.toUpperCase() === actor.org.toUpperCase()))
      return refuse(
        "another organisation's break-glass read",
        forbidden("Only a safeguarding lead of the organisation whose user broke the glass may review the read", [
          "org",
        ]),
      );
    if (ifMatch !== undefined && ifMatch !== current.versionId)
      return refuse("stale version", preconditionFailed(`Version ${ifMatch} is not the current version of Task/${id}`));
    const now = deps.clock();
    if (task.status !== "requested") {
      if (reviewOf(task)?.outcome !== request.outcome)
        return refuse(
          "already reviewed with another outcome",
          conflict(`Task/${id} was already reviewed with another outcome`),
        );
      if (!audited) await deps.auditor.record(actor, access, permit(`already reviewed: ${request.outcome}`));
      return { entry: await entryOf(deps.store, task, now), changed: false };
    }
    if (!audited) {
      await deps.auditor.record(actor, access, permit(`reviewed: ${request.outcome}`));
      audited = true;
    }
    const done = completedTask(task, {
      reviewer: { issuer: actor.issuer, subject: actor.subject },
      at: now.toISOString(),
      outcome: request.outcome,
      ...(request.note ? { note: request.note } : {}),
    });
    const write = prepareWrite("Task", id, current.versionId + 1, now.toISOString(), done);
    write.json = JSON.stringify(write.resource);
    try {
      await deps.store.commit({ resources: [write] });
      return { entry: await entryOf(deps.store, write.resource as Record<string, unknown>, now), changed: true };
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
      if (ifMatch !== undefined)
        return refuse("changed in flight", preconditionFailed(`Task/${id} changed while this review was in flight`));
      if (attempt >= ATTEMPTS)
        return refuse("changed concurrently", conflict(`Task/${id} is being changed concurrently; try again`));
    }
  }
}

/** The queue entry of `task`, with its AuditEvent read by id. */
async function entryOf(store: Store, task: Record<string, unknown>, now: Date): Promise<BreakGlassEntry> {
  const focus = /^AuditEvent\/([A-Za-z0-9\-.]{1,64})$/.exec(
    String((task.focus as { reference?: unknown } | undefined)?.reference ?? ""),
  )?.[1];
  const event = focus ? resourceOf(await store.read("AuditEvent", focus)) : undefined;
  return breakGlassEntry(task, event, now);
}
