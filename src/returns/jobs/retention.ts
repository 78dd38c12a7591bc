/**
 * Retention of return files (docs/RETURNS.md): a built job's files — pseudonymised extracts, and for the statutory
 * CIN census identifiable ones — are deleted once `TFG_RETURN_FILE_RETENTION_DAYS` have passed since they were
 * built, unless a submission is under way. The job's log keeps their digests, the risk report and any receipt, and
 * records the deletion (`files-deleted`), so the job still says what was sent and when.
 */
import type { Store } from "../../store/port.js";
import type { JobState } from "./job-events.js";
import type { JobLog } from "./job-log.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether `job`'s files are due for deletion at `now`. */
export function filesExpired(job: JobState, now: Date, retentionDays: number): boolean {
  if (job.filesDeleted || job.files.length === 0 || job.builtAt === undefined) return false;
  if (job.status !== "built" && job.status !== "submitted") return false;
  return now.getTime() - Date.parse(job.builtAt) > retentionDays * DAY_MS;
}

/** Deletes the expired files of `jobs` (read by recover.ts `newestJobs`): the ids of the jobs whose files were deleted. */
export async function expireFiles(
  store: Store,
  log: JobLog,
  jobs: readonly JobState[],
  now: Date,
  retentionDays: number,
): Promise<string[]> {
  const out: string[] = [];
  for (const job of jobs) {
    const id = job.id;
    if (!filesExpired(job, now, retentionDays)) continue;
    // Claim first (compare-and-set), so two passes record one deletion; deleting is safe to repeat.
    if (!(await log.appendAfter(job, { type: "files-deleted" }))) continue;
    await store.deleteFiles(job.files.map((f) => f.key));
    out.push(id);
  }
  return out;
}
