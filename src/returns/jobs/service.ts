/**
 * The national returns service (docs/RETURNS.md): start a build, read its progress, fetch its files and risk report,
 * submit it. The API routes (src/http/returns-routes.ts), the console and the CLI call it, so the same rules and the
 * same audit apply to all of them: every call is decided (src/returns/jobs/access.ts) and its permit or deny audited
 * before anything is answered.
 */
import type { AuditAccess, AuditDecision } from "../../audit/audit-event.js";
import type { Auditor } from "../../audit/auditor.js";
import type { Actor } from "../../auth/actor.js";
import { forbidden, gone, notFound } from "../../fhir/errors.js";
import type { Logger } from "../../log/logger.js";
import type { NotificationSigner } from "../../notify/signing.js";
import { type Store, StoreConflictError, type StoredFile } from "../../store/port.js";
import type { ReturnBuilder, ReturnRequest, RiskReport } from "../port.js";
import { buildDecision, jobDecision, scopedRequest } from "./access.js";
import type { JobActor, JobState } from "./job-events.js";
import { JobLog } from "./job-log.js";
import { newestJobs, recoverJobs } from "./recover.js";
import { expireFiles } from "./retention.js";
import { runJob } from "./run-job.js";
import { type ScheduleEntry, scheduledJobId, scheduledRequest, schedulerActor } from "./schedule.js";
import { type ReturnSettings, returnKeys } from "./settings.js";
import { type SubmitResult, submitJob } from "./submit.js";

/** Starts a job's build somewhere (in process on Node, a Queue or `waitUntil` on Workers). */
export type JobScheduler = (jobId: string, run: () => Promise<unknown>) => void | Promise<void>;

/** What the service is built from. */
export interface ReturnsServiceDeps {
  store: Store;
  auditor: Auditor;
  build: ReturnBuilder;
  settings: ReturnSettings;
  signer: () => Promise<NotificationSigner | undefined>;
  clock: () => Date;
  newId: () => string;
  logger?: Logger;
  fetch?: typeof fetch;
}

/** The identifier system of return jobs in AuditEvent.entity.what. */
export const RETURN_JOB_SYSTEM = "urn:think-family-gateway:return-job";

const actorRef = (a: Actor): JobActor => ({ org: a.org, orgType: a.orgType, role: a.role, subject: a.subject });

/** The national returns service. */
export class ReturnsService {
  private readonly log: JobLog;

  constructor(private readonly deps: ReturnsServiceDeps) {
    this.log = new JobLog(deps.store);
  }

  private async decided(actor: Actor, access: AuditAccess, decision: AuditDecision, refusal: string) {
    await this.deps.auditor.record(actor, access, decision);
    if (decision.effect !== "permit") throw forbidden(`${refusal}: ${decision.reasons?.[0] ?? "not permitted"}`);
  }

  /** Records a new job for `request` (scoped to the caller) and hands it to `schedule`; answers the queued job. */
  async start(actor: Actor, request: ReturnRequest, schedule: JobScheduler): Promise<JobState> {
    const scoped = scopedRequest(actor, request);
    const access: AuditAccess = { interaction: "operation", operation: "$return-build", resourceType: "Bundle" };
    await this.decided(actor, access, buildDecision(actor, scoped), "The return may not be built");
    const job = await this.log.create(this.deps.newId(), scoped, actorRef(actor));
    await schedule(job.id, () => this.run(job.id));
    return job;
  }

  /**
   * Starts the job of one scheduled return for its last complete period before `today`, unless it was started
   * already (its id is derived from what it covers): the job, or undefined when there was nothing to start.
   */
  async startScheduled(entry: ScheduleEntry, today: string, schedule: JobScheduler): Promise<JobState | undefined> {
    const actor = schedulerActor(entry);
    const request = scheduledRequest(entry, today);
    const id = await scheduledJobId(entry, request);
    if (await this.log.get(id)) return undefined;
    const access: AuditAccess = { interaction: "operation", operation: "$return-build", resourceType: "Bundle" };
    await this.decided(actor, access, buildDecision(actor, request), "The scheduled return may not be built");
    let job: JobState;
    try {
      job = await this.log.create(id, request, actorRef(actor));
    } catch (err) {
      if (err instanceof StoreConflictError) return undefined; // another pass started it
      throw err;
    }
    await schedule(job.id, () => this.run(job.id));
    return job;
  }

  /**
   * Hands out again the jobs a crash left behind (recover.ts): abandoned builds are queued again, and those and jobs
   * never started go to `schedule`. Node calls it at start-up, the Worker's Cron pass and `tfg returns scheduled`
   * on every pass. Resolves with the ids handed out.
   */
  async recover(schedule: JobScheduler, jobs?: readonly JobState[]): Promise<string[]> {
    const leaseMs = this.deps.settings.buildLeaseSeconds * 1000;
    const found = await recoverJobs(this.log, jobs ?? (await newestJobs(this.log)), this.deps.clock(), leaseMs);
    for (const { id, reason } of found) {
      this.deps.logger?.warn({ job: id, reason }, "return job handed out again");
      await schedule(id, () => this.run(id));
    }
    return found.map((f) => f.id);
  }

  /** Deletes the files of jobs past their retention (retention.ts); resolves with those jobs' ids. */
  async expireFiles(jobs?: readonly JobState[]): Promise<string[]> {
    const { store, clock, settings } = this.deps;
    const ids = await expireFiles(
      store,
      this.log,
      jobs ?? (await newestJobs(this.log)),
      clock(),
      settings.fileRetentionDays,
    );
    for (const id of ids) this.deps.logger?.info({ job: id }, "return files deleted at the end of their retention");
    return ids;
  }

  /**
   * The housekeeping pass: {@link recover}, then {@link expireFiles}, over one reading of the newest jobs (recovery
   * touches only running and queued jobs, retention only built and submitted ones). Resolves with the ids handed out.
   */
  async housekeep(schedule: JobScheduler): Promise<string[]> {
    const jobs = await newestJobs(this.log);
    const recovered = await this.recover(schedule, jobs);
    await this.expireFiles(jobs);
    return recovered;
  }

  /** Runs a queued job here and now (the scheduler's work; a Queue consumer or Cron pass calls it too). */
  run(jobId: string) {
    return runJob(
      {
        store: this.deps.store,
        build: this.deps.build,
        keys: returnKeys(this.deps.settings),
        ...(this.deps.logger ? { logger: this.deps.logger } : {}),
      },
      jobId,
    );
  }

  private async job(actor: Actor, id: string, operation: string, action: "read" | "submit"): Promise<JobState> {
    const access: AuditAccess = {
      interaction: "operation",
      operation,
      object: { system: RETURN_JOB_SYSTEM, value: id },
    };
    const job = await this.log.get(id);
    if (!job) {
      await this.deps.auditor.record(actor, access, {
        effect: "deny",
        level: "none",
        rule: "national-returns-statistics",
        reasons: ["no such return job"],
      });
      throw notFound("No return job has this id");
    }
    await this.decided(actor, access, jobDecision(actor, job, action), "The return job may not be read");
    return job;
  }

  /** The job's state (progress, files, submission), for its requesting organisation. */
  status(actor: Actor, id: string): Promise<JobState> {
    return this.job(actor, id, "$return-status", "read");
  }

  /** The organisation's recent jobs (newest first), each read as {@link status} reads it. */
  async list(actor: Actor, limit = 50): Promise<JobState[]> {
    const access: AuditAccess = { interaction: "operation", operation: "$return-list", resourceType: "Bundle" };
    const decision = jobDecision(actor, { by: { org: actor.org } } as JobState, "read");
    await this.decided(actor, access, decision, "Return jobs may not be listed");
    const jobs: JobState[] = [];
    for (const id of await this.log.list(actor.org, limit)) {
      const job = await this.log.get(id);
      if (job && job.by.org === actor.org) jobs.push(job);
    }
    return jobs;
  }

  /** One output file of a built job (`name`, default its first); a download, audited as one. */
  async file(actor: Actor, id: string, name?: string): Promise<{ name: string; file: StoredFile; sha256: string }> {
    const job = await this.job(actor, id, "$return-file", "read");
    const entry = name === undefined ? job.files[0] : job.files.find((f) => f.name === name);
    if (job.status !== "built" && job.status !== "submitting" && job.status !== "submitted") {
      throw notFound(`The return is ${job.status}: it has no files yet`);
    }
    if (!entry) throw notFound("The return has no file of this name");
    if (job.filesDeleted) throw gone("The return's files were deleted at the end of their retention");
    const file = await this.deps.store.readFile(entry.key);
    if (!file) throw notFound("The return's file is no longer stored");
    return { name: entry.name, file, sha256: entry.sha256 };
  }

  /** The job's disclosure-risk report. */
  async riskReport(actor: Actor, id: string): Promise<RiskReport> {
    const job = await this.job(actor, id, "$return-risk-report", "read");
    if (!job.risk) throw notFound(`The return is ${job.status}: it has no risk report yet`);
    return job.risk;
  }

  /** Submits the built job to its national endpoint (idempotent: a submitted job answers its receipt). */
  async submit(actor: Actor, id: string): Promise<SubmitResult> {
    const job = await this.job(actor, id, "$submit", "submit");
    return submitJob(
      {
        store: this.deps.store,
        settings: this.deps.settings,
        signer: await this.deps.signer(),
        clock: this.deps.clock,
        ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
      },
      job,
      actorRef(actor),
    );
  }
}
