/** A return job's history as events in its own log stream, and the state they add up to. */
import type { ReturnRequest, RiskReport } from "../port.js";

/** Who asked (never a name: organisation, role, subject id as the token gave it). */
export interface JobActor {
  org: string;
  orgType: string;
  role: string;
  subject: string;
}

/** One output file of a built job: where it is stored and its SHA-256 (hex), so a download can be checked. */
export interface JobFile {
  name: string;
  mediaType: string;
  key: string;
  bytes: number;
  sha256: string;
}

/** What the national endpoint answered to the accepted submission. */
export interface SubmissionReceipt {
  /** The idempotency key sent with every attempt (the job id and the file's digest). */
  idempotencyKey: string;
  status: number;
  /** The endpoint's receipt id (its JSON `id`/`receiptId`, or its `Location`), when it gave one. */
  receiptId?: string;
  /** The first 2,000 characters of the endpoint's answer. */
  body: string;
  /** `jws` (signed) or `jwe` (signed, then encrypted to the recipient's key). */
  protection: "jws" | "jwe";
  keyId: string;
  attempts: number;
}

/** The events of a job, in the order they may happen. */
export type JobEvent =
  | { type: "requested"; request: ReturnRequest; by: JobActor }
  | { type: "started" }
  /** A `running` build that wrote nothing for longer than the lease (its process died) goes back to `queued`. */
  | { type: "requeued"; reason: "lease-expired" }
  | { type: "progress"; done: number; total?: number }
  | { type: "built"; files: JobFile[]; risk: RiskReport }
  | { type: "failed"; code: string; message: string }
  | { type: "submitting"; by: JobActor }
  | { type: "submit-attempt"; attempt: number; status?: number; error?: string }
  | { type: "submitted"; receipt: SubmissionReceipt }
  | { type: "submit-failed"; message: string }
  | { type: "files-deleted" };

/** Where a job is. */
export type JobStatus = "queued" | "running" | "built" | "failed" | "submitting" | "submitted";

/** A job as its events leave it. */
export interface JobState {
  id: string;
  request: ReturnRequest;
  by: JobActor;
  status: JobStatus;
  requestedAt: string;
  updatedAt: string;
  /** The sequence number of the last event (a writer appending the next claims `seq + 1`). */
  seq: number;
  progress: { done: number; total?: number };
  files: JobFile[];
  /** When the files were built (the `built` event's time): their retention counts from it. */
  builtAt?: string;
  risk?: RiskReport;
  error?: { code: string; message: string };
  submission: {
    attempts: number;
    lastError?: string;
    lastStatus?: number;
    receipt?: SubmissionReceipt;
    submittingSince?: string;
  };
  filesDeleted: boolean;
  /** How many times an abandoned build was queued again. */
  restarts: number;
}

/** Folds a job's events (with their recorded times) into its state; undefined when there is no `requested` first. */
export function foldJob(id: string, events: readonly { seq: number; recorded: string; event: JobEvent }[]) {
  const first = events[0];
  if (first?.event.type !== "requested") return undefined;
  const state: JobState = {
    id,
    request: first.event.request,
    by: first.event.by,
    status: "queued",
    requestedAt: first.recorded,
    updatedAt: first.recorded,
    seq: first.seq,
    progress: { done: 0 },
    files: [],
    submission: { attempts: 0 },
    filesDeleted: false,
    restarts: 0,
  };
  for (const { seq, recorded, event: e } of events.slice(1)) {
    state.seq = seq;
    state.updatedAt = recorded;
    switch (e.type) {
      case "requested":
        break;
      case "started":
        state.status = "running";
        break;
      case "requeued":
        state.status = "queued";
        state.progress = { done: 0 };
        state.restarts++;
        break;
      case "progress":
        state.progress = e.total === undefined ? { done: e.done } : { done: e.done, total: e.total };
        break;
      case "built":
        state.status = "built";
        state.builtAt = recorded;
        state.files = e.files;
        state.risk = e.risk;
        break;
      case "failed":
        state.status = "failed";
        state.error = { code: e.code, message: e.message };
        break;
      case "submitting":
        state.status = "submitting";
        state.submission.submittingSince = recorded;
        break;
      case "submit-attempt":
        state.submission.attempts = Math.max(state.submission.attempts, e.attempt);
        if (e.error !== undefined) state.submission.lastError = e.error;
        if (e.status !== undefined) state.submission.lastStatus = e.status;
        break;
      case "submitted":
        state.status = "submitted";
        state.submission.receipt = e.receipt;
        delete state.submission.submittingSince;
        break;
      case "submit-failed":
        state.status = "built";
        state.submission.lastError = e.message;
        delete state.submission.submittingSince;
        break;
      case "files-deleted":
        state.filesDeleted = true;
        break;
    }
  }
  return state;
}
