/** Runs one queued return job: claims it, builds the return, stores its files, records the outcome in its log. */
import { GatewayError } from "../../fhir/errors.js";
import type { Logger } from "../../log/logger.js";
import type { Store } from "../../store/port.js";
import type { ReturnBuilder, ReturnKeys } from "../port.js";
import type { JobFile } from "./job-events.js";
import { JobLog } from "./job-log.js";

/** What a job runs with. */
export interface RunJobDeps {
  store: Store;
  build: ReturnBuilder;
  keys: ReturnKeys;
  logger?: Logger;
  /** Milliseconds between recorded progress events at most once (default 1,000); progress in between is dropped. */
  progressEveryMs?: number;
  /** The time source for throttling progress only (never for anything in an output). */
  now?: () => number;
}

/** The key a job's file is stored under. */
export const fileKey = (jobId: string, name: string) => `returns/${jobId}/${name}`;

/** SHA-256 of `bytes`, hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Runs job `id` if it is still queued. Safe to call twice or from two places at once (a Queue redelivery, a Cron
 * pass): only the caller whose `started` claim lands builds it. Resolves with the final status, or undefined when
 * another runner has it (or there is no such job). Never throws for a build that fails: the failure is recorded.
 */
export async function runJob(deps: RunJobDeps, id: string): Promise<"built" | "failed" | undefined> {
  const log = new JobLog(deps.store);
  const state = await log.get(id);
  if (state?.status !== "queued") return undefined;
  if (!(await log.appendAfter(state, { type: "started" }))) return undefined;
  const now = deps.now ?? (() => Date.now());
  const every = deps.progressEveryMs ?? 1000;
  let lastAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> = Promise.resolve();
  const onProgress = (done: number, total?: number) => {
    const t = now();
    if (t - lastAt < every) return;
    lastAt = t;
    const event =
      total === undefined ? { type: "progress" as const, done } : { type: "progress" as const, done, total };
    // One progress write at a time, in order; a failed progress write does not stop the build.
    pending = pending.then(() => log.append(id, event)).catch(() => undefined);
  };
  try {
    const built = await deps.build(state.request, { store: deps.store, keys: deps.keys, onProgress });
    await pending;
    const files: JobFile[] = [];
    for (const f of built.files) {
      const key = fileKey(id, f.name);
      await deps.store.putFile(key, { mediaType: f.mediaType, bytes: f.bytes });
      files.push({
        name: f.name,
        mediaType: f.mediaType,
        key,
        bytes: f.bytes.length,
        sha256: await sha256Hex(f.bytes),
      });
    }
    await log.append(id, { type: "built", files, risk: built.risk });
    return "built";
  } catch (err) {
    await pending;
    // A GatewayError's message is written to carry no identifiable value (DESIGN.md rule 4); anything else is
    // recorded by its kind only and logged without detail.
    const failure =
      err instanceof GatewayError
        ? { code: err.code, message: err.message }
        : { code: "build-error", message: "The return could not be built: an internal error (see the gateway log)" };
    if (!(err instanceof GatewayError)) {
      deps.logger?.error({ job: id, kind: state.request.kind, error: (err as Error)?.name }, "return build failed");
    }
    await log.append(id, { type: "failed", ...failure });
    return "failed";
  }
}
