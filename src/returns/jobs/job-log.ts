/** Return jobs kept in the store's hash-chained log: one stream per job, and an index stream per organisation. */
import { type Store, StoreConflictError } from "../../store/port.js";
import type { ReturnRequest } from "../port.js";
import { foldJob, type JobActor, type JobEvent, type JobState } from "./job-events.js";

/** The stream of one job's events. */
export const jobStream = (id: string) => `return-job:${id}`;
/** The stream listing an organisation's jobs, in the order they were requested. */
export const orgJobsStream = (org: string) => `return-jobs:${org}`;
/** The stream listing every organisation's jobs, in the order they were requested (what recovery walks). */
export const ALL_JOBS_STREAM = "return-jobs";

const PAGE = 500;

/** Reads and appends a job's events. Appends are claims: a writer that lost a race gets {@link StoreConflictError}. */
export class JobLog {
  constructor(private readonly store: Store) {}

  /** Records a new job (its first event and its line in the organisation's index); {@link StoreConflictError} if the id exists. */
  async create(id: string, request: ReturnRequest, by: JobActor): Promise<JobState> {
    const requested: JobEvent = { type: "requested", request, by };
    await this.store.commit({
      log: [
        // expectSeq 0: a job id is created once (a scheduled job's id is derived from what it covers).
        { stream: jobStream(id), payload: requested as unknown as Record<string, unknown>, expectSeq: 0 },
        { stream: orgJobsStream(by.org), payload: { job: id, kind: request.kind } },
        { stream: ALL_JOBS_STREAM, payload: { job: id, kind: request.kind } },
      ],
    });
    return (await this.get(id)) as JobState;
  }

  /** The job's state, or undefined when there is no such job. */
  async get(id: string): Promise<JobState | undefined> {
    const events: { seq: number; recorded: string; event: JobEvent }[] = [];
    for (let after = 0; ; ) {
      const page = await this.store.readLog(jobStream(id), after, PAGE);
      for (const e of page) events.push({ seq: e.seq, recorded: e.recorded, event: e.payload as unknown as JobEvent });
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.seq ?? after;
    }
    return foldJob(id, events);
  }

  /**
   * Appends `event` if the job is still at `state.seq` (nobody wrote since it was read): true when appended, false
   * when another writer got there first.
   */
  async appendAfter(state: JobState, event: JobEvent): Promise<boolean> {
    try {
      await this.store.commit({
        log: [
          { stream: jobStream(state.id), payload: event as unknown as Record<string, unknown>, expectSeq: state.seq },
        ],
      });
      return true;
    } catch (err) {
      if (err instanceof StoreConflictError) return false;
      throw err;
    }
  }

  /** Appends `event` whatever was written since (progress, attempts: facts, not claims). */
  async append(id: string, event: JobEvent): Promise<void> {
    for (let tries = 0; ; tries++) {
      try {
        await this.store.commit({
          log: [{ stream: jobStream(id), payload: event as unknown as Record<string, unknown> }],
        });
        return;
      } catch (err) {
        if (!(err instanceof StoreConflictError) || tries >= 4) throw err;
      }
    }
  }

  /** The ids of `org`'s jobs (every organisation's without one), newest first, at most `limit`. */
  async list(org: string | undefined, limit: number): Promise<string[]> {
    const ids: string[] = [];
    const stream = org === undefined ? ALL_JOBS_STREAM : orgJobsStream(org);
    for (let after = 0; ; ) {
      const page = await this.store.readLog(stream, after, PAGE);
      for (const e of page) ids.push(String(e.payload.job));
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.seq ?? after;
    }
    return ids.reverse().slice(0, limit);
  }
}
