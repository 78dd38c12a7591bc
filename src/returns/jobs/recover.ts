/**
 * Recovery of return jobs a crash left behind (docs/RETURNS.md): a `running` build whose last event is older than
 * the build lease (its process died or was stopped mid-build) is queued again, with a compare-and-set append so two
 * recoverers never both take it, and then built again from the start (a build is deterministic: the same data and
 * keys give the same files); a `queued` job older than the lease (never started: the process died first, or its
 * Queue message was lost) is handed out again too. Submissions have their own lease (submit.ts).
 */
import type { JobState } from "./job-events.js";
import type { JobLog } from "./job-log.js";

/** How many of the newest jobs a recovery pass looks at. */
export const RECOVERY_WINDOW = 500;

/** Why a job is handed out again. */
export type RecoveryReason = "abandoned-build" | "never-started";

/**
 * Whether `job` needs running again at `now` with a lease of `leaseMs`, requeueing an abandoned build first:
 * the reason, or undefined when it is fine (or another recoverer requeued it first).
 */
export async function recoverJob(
  log: JobLog,
  job: JobState,
  now: Date,
  leaseMs: number,
): Promise<RecoveryReason | undefined> {
  const idle = now.getTime() - Date.parse(job.updatedAt);
  if (!(idle > leaseMs)) return undefined;
  if (job.status === "queued") return "never-started";
  if (job.status !== "running") return undefined;
  return (await log.appendAfter(job, { type: "requeued", reason: "lease-expired" })) ? "abandoned-build" : undefined;
}

/** The states of the newest {@link RECOVERY_WINDOW} jobs of every organisation: what a housekeeping pass looks at. */
export async function newestJobs(log: JobLog): Promise<JobState[]> {
  const jobs: JobState[] = [];
  for (const id of await log.list(undefined, RECOVERY_WINDOW)) {
    const job = await log.get(id);
    if (job) jobs.push(job);
  }
  return jobs;
}

/** One recovery pass over `jobs` (read by {@link newestJobs}): the ids to run again, with why. */
export async function recoverJobs(
  log: JobLog,
  jobs: readonly JobState[],
  now: Date,
  leaseMs: number,
): Promise<{ id: string; reason: RecoveryReason }[]> {
  const out: { id: string; reason: RecoveryReason }[] = [];
  for (const job of jobs) {
    const reason = await recoverJob(log, job, now, leaseMs);
    if (reason) out.push({ id: job.id, reason });
  }
  return out;
}
