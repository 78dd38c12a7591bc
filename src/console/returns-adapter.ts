/** The console's returns page over the returns service (src/returns/jobs): the same calls, rules and audit as the API. */
import type { Actor } from "../auth/actor.js";
import { GatewayError } from "../fhir/errors.js";
import type { JobState } from "../returns/jobs/job-events.js";
import type { JobScheduler, ReturnsService } from "../returns/jobs/service.js";
import type { ReturnRequest } from "../returns/port.js";
import type { ConsoleReturns, ReturnJobView } from "./returns-page.js";

/** A job as the returns page shows it. */
export function jobViewOf(job: JobState): ReturnJobView {
  const receipt = job.submission.receipt;
  return {
    id: job.id,
    kind: job.request.kind,
    state: job.status === "running" ? "building" : job.status,
    progress: job.progress,
    ...(job.risk ? { risk: job.risk } : {}),
    files: job.files.map((f) => ({ name: f.name, mediaType: f.mediaType })),
    ...(receipt ? { receipt: { reference: receipt.receiptId ?? receipt.idempotencyKey, at: job.updatedAt } } : {}),
    ...(job.error ? { error: job.error.message } : job.submission.lastError ? { error: job.submission.lastError } : {}),
  };
}

/** The returns page's port over `service`; started builds run through `schedule`. */
export function consoleReturns(service: ReturnsService, schedule: JobScheduler): ConsoleReturns {
  return {
    async start(actor: Actor, request: ReturnRequest) {
      return jobViewOf(await service.start(actor, request, schedule));
    },
    async get(actor: Actor, id: string) {
      try {
        return jobViewOf(await service.status(actor, id));
      } catch (err) {
        if (err instanceof GatewayError && err.status === 404) return undefined;
        throw err;
      }
    },
    async submit(actor: Actor, id: string) {
      await service.submit(actor, id);
      return jobViewOf(await service.status(actor, id));
    },
  };
}
