/**
 * The break-glass review queue (issue 10 scope 6; docs/LOOKUPS.md): the review Tasks the auditor wrote for the
 * break-glass permits of an organisation's callers (src/audit/break-glass-review-task.ts), found by an indexed Task
 * search — code `notice#break-glass-review`, the owner tag, the status — newest first, a page at a time; each with
 * its AuditEvent read by id (role, operation, rule). Its cost grows with the organisation's review Tasks, not with the
 * audit trail. Ids, codes and references only — the stated reason is in no Task and no AuditEvent, and not here.
 */
import {
  BREAK_GLASS_REVIEW_CODE,
  type ReviewRecord,
  type ReviewUser,
  reviewOf,
} from "../audit/break-glass-review-task.js";
import { NOTICE_CODE_SYSTEM } from "../audit/notice-task.js";
import { RECORD_OWNER_SYSTEM } from "../auth/ownership.js";
import { resourceOf } from "../reports/fhir-read.js";
import type { SearchCriterion, SearchCursor, Store, StoredVersion } from "../store/port.js";

/** One break-glass read and its review. */
export interface BreakGlassEntry {
  /** The review Task (`Task/id`): `POST /reports/break-glass/{id}/review` completes it. */
  task: string;
  /** `requested` while it awaits review, `completed` once reviewed. */
  status: "requested" | "completed";
  /** The AuditEvent that records the read. */
  auditEvent: string;
  recorded: string;
  /** The user (token issuer and subject). */
  user: ReviewUser;
  role?: string | undefined;
  /** The records read (`Type/id`), the patient first when known. */
  entities: string[];
  /** The operation, when the read was one (`$household-check`, `$family`). */
  operation?: string | undefined;
  rule?: string | undefined;
  /** When the break-glass permit ends (the Task's `restriction.period.end`), and whether that is past at `now`. */
  expires?: string | undefined;
  expired: boolean;
  /** Who reviewed it, when, the outcome and the note: once `completed`. */
  reviewed?: ReviewRecord | undefined;
}

/** Which entries a queue read lists. */
export type QueueStatus = "requested" | "completed" | "all";
/** The statuses a queue read may ask for. */
export const QUEUE_STATUSES: readonly QueueStatus[] = ["requested", "completed", "all"];

/** One page of the queue: its entries, how many match in all, and where the next page starts. */
export interface QueuePage {
  entries: BreakGlassEntry[];
  total: number;
  next?: SearchCursor | undefined;
}

/** How a queue read pages. */
export interface QueueOptions {
  status?: QueueStatus | undefined;
  /** Entries per page (default 50). */
  count?: number | undefined;
  after?: SearchCursor | undefined;
}

type Json = Record<string, unknown>;
const DEFAULT_COUNT = 50;

const refOf = (v: unknown) => (v as { reference?: unknown } | undefined)?.reference;
const codeOf = (v: unknown) => (v as { coding?: { code?: string }[] }[] | undefined)?.[0]?.coding?.[0]?.code;

/** The search criteria of `org`'s review Tasks with `status` (token codes compared as sent, so both cases of `org`). */
export function queueCriteria(org: string, status: QueueStatus): SearchCriterion[] {
  const owners = [...new Set([org, org.toUpperCase()])].map((value) => ({ system: RECORD_OWNER_SYSTEM, value }));
  return [
    { kind: "token", param: "code", values: [{ system: NOTICE_CODE_SYSTEM, value: BREAK_GLASS_REVIEW_CODE }] },
    { kind: "token", param: "_tag", values: owners },
    ...(status === "all" ? [] : [{ kind: "token" as const, param: "status", values: [{ value: status }] }]),
  ];
}

/** The entry of review Task `task`, with what its AuditEvent `event` (when found) adds. */
export function breakGlassEntry(task: Json, event: Json | undefined, now: Date): BreakGlassEntry {
  const requester = (task.requester as { identifier?: { system?: string; value?: string } } | undefined)?.identifier;
  const patient = refOf(task.for);
  const inputs = ((task.input as { valueReference?: unknown }[] | undefined) ?? []).map((i) => refOf(i.valueReference));
  const expires = (task.restriction as { period?: { end?: string } } | undefined)?.period?.end;
  const entities = (event?.entity as Json[] | undefined) ?? [];
  const details = (entities[0]?.detail as { type?: string; valueString?: string }[] | undefined) ?? [];
  const reviewed = reviewOf(task);
  return {
    task: `Task/${String(task.id)}`,
    status: task.status === "completed" ? "completed" : "requested",
    auditEvent: String(refOf(task.focus) ?? ""),
    recorded: String(task.authoredOn ?? ""),
    user: { issuer: requester?.system, subject: requester?.value },
    role: codeOf((event?.agent as Json[] | undefined)?.[0]?.role),
    entities: [...new Set([patient, ...inputs])].filter((r): r is string => typeof r === "string"),
    operation: entities.map((x) => x.name).find((n): n is string => typeof n === "string" && n.startsWith("$")),
    rule: details.find((d) => d.type === "rule")?.valueString,
    ...(expires ? { expires } : {}),
    expired: expires !== undefined && Date.parse(expires) <= now.getTime(),
    ...(reviewed ? { reviewed } : {}),
  };
}

/**
 * A page of the break-glass reads queued for review by `org`'s safeguarding lead, newest first (by the Task's last
 * change: when recorded while it awaits review, when reviewed after): one indexed Task search and one read of the
 * page's AuditEvents by id.
 */
export async function breakGlassQueue(
  store: Store,
  org: string,
  now: Date,
  options: QueueOptions = {},
): Promise<QueuePage> {
  const status = options.status ?? "requested";
  const page = await store.search({
    resourceType: "Task",
    criteria: queueCriteria(org, status),
    count: options.count ?? DEFAULT_COUNT,
    sort: "-lastUpdated",
    ...(options.after ? { after: options.after } : {}),
  });
  const tasks = page.versions
    .map((v) => ({ v, task: resourceOf(v) }))
    .filter((x): x is { v: StoredVersion; task: Json } => Boolean(x.task));
  const keys = tasks
    .map(({ task }) => /^AuditEvent\/([A-Za-z0-9\-.]{1,64})$/.exec(String(refOf(task.focus) ?? ""))?.[1])
    .filter((id): id is string => id !== undefined)
    .map((id) => ({ resourceType: "AuditEvent", id }));
  const events = keys.length > 0 ? await store.readMany(keys) : new Map<string, StoredVersion>();
  const entries = tasks.map(({ task }) =>
    breakGlassEntry(task, resourceOf(events.get(String(refOf(task.focus)))), now),
  );
  const last = page.versions.at(-1);
  return {
    entries,
    total: page.total,
    ...(page.more && last ? { next: { key: last.lastUpdated, id: last.id } } : {}),
  };
}

/** How many of `org`'s break-glass reads await review (a count over the same index, no rows read). */
export async function awaitingReview(store: Store, org: string): Promise<number> {
  const page = await store.search({
    resourceType: "Task",
    criteria: queueCriteria(org, "requested"),
    count: 0,
    sort: "-lastUpdated",
  });
  return page.total;
}
