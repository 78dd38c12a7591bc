/** Cloudflare Workers entry point: the same app on D1. Configuration comes from wrangler vars and secrets. */
/// <reference path="./text-modules.d.ts" />
import type { Hono } from "hono";
// The console's NHS.UK stylesheet and script, as text (wrangler.toml's Text rule).
import nhsukCss from "nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css";
import nhsukJs from "nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js";
import { type AppDeps, buildApp, returnsService } from "../app.js";
import { createTokenVerifier } from "../auth/token-verifier.js";
import { ConfigError, parseConfig } from "../config.js";
import type { AppEnv } from "../http/context.js";
import { consoleLogger } from "../log/console-logger.js";
import { deliverDue } from "../notify/deliver.js";
import { deliveryDeps } from "../notify/loop.js";
import type { JobScheduler } from "../returns/jobs/service.js";
import { d1Store } from "../store/d1/index.js";

/** Bindings declared in wrangler.toml (vars and secrets are strings). */
export interface WorkerEnv {
  DB: D1Database;
  /** The Queue return builds run on (wrangler.toml); without it a build runs after the answer, under waitUntil. */
  RETURN_JOBS?: Queue<ReturnJobMessage>;
  [name: string]: unknown;
}

/** A message on the return-jobs Queue: the job to run. */
export interface ReturnJobMessage {
  job: string;
}

/** Sends started jobs to the Queue when one is bound. */
function queueScheduler(env: WorkerEnv): JobScheduler | undefined {
  const queue = env.RETURN_JOBS;
  return queue
    ? async (id) => {
        await queue.send({ job: id });
      }
    : undefined;
}

/** The app's ports on this Worker's bindings. */
function depsFor(env: WorkerEnv): AppDeps {
  const config = parseConfig(env);
  const scheduler = queueScheduler(env);
  return {
    store: d1Store(env.DB),
    logger: consoleLogger(config.logLevel),
    config,
    verifyToken: createTokenVerifier(config),
    ...(scheduler ? { returnScheduler: scheduler } : {}),
  };
}

let cached: { env: WorkerEnv; app: Hono<AppEnv> } | undefined;

/** Builds the app once per isolate (and again if the bindings object changes). */
function appFor(env: WorkerEnv): Hono<AppEnv> {
  if (cached?.env !== env) {
    cached = { env, app: buildApp({ ...depsFor(env), consoleAssets: { css: nhsukCss, js: nhsukJs } }) };
  }
  return cached.app;
}

/** One notification delivery pass (the Cron Trigger in wrangler.toml runs it): the same code as Node's loop. */
export async function deliverScheduled(env: WorkerEnv): Promise<void> {
  const config = parseConfig(env);
  const logger = consoleLogger(config.logLevel);
  const deps = await deliveryDeps(d1Store(env.DB), config.notify, logger, config.baseUrl);
  if (!deps) return;
  const pass = await deliverDue(deps);
  if (pass.claimed > 0) logger.info({ ...pass }, "notification delivery pass");
}

/**
 * The scheduled returns pass (the same Cron Trigger): starts each TFG_RETURN_SCHEDULE entry's job for its last complete
 * period, once (its id is derived from the period), on the Queue when bound, else here under waitUntil; and hands
 * out again the builds a crash or an evicted isolate left behind and deletes files past their retention
 * (src/returns/jobs/recover.ts, retention.ts).
 */
export async function scheduledReturns(env: WorkerEnv, ctx: ExecutionContext, now = new Date()): Promise<void> {
  const deps = depsFor(env);
  const service = returnsService(deps);
  const here: JobScheduler = (_id, run) => ctx.waitUntil(run());
  const today = now.toISOString().slice(0, 10);
  for (const entry of deps.config.returns.schedule) {
    await service.startScheduled(entry, today, deps.returnScheduler ?? here);
  }
  await service.housekeep(deps.returnScheduler ?? here);
}

/** The Queue consumer: runs each job (a redelivered or duplicate message finds the job claimed and does nothing). */
export async function runReturnJobs(batch: MessageBatch<unknown>, env: WorkerEnv): Promise<void> {
  const service = returnsService(depsFor(env));
  for (const message of batch.messages) {
    const job = (message.body as Partial<ReturnJobMessage> | null)?.job;
    if (typeof job === "string") await service.run(job);
    message.ack();
  }
}

/**
 * The answer while the configuration is invalid (a bad TFG_POLICY, say): 503, an OperationOutcome that points to the
 * log, where the problems are written (with the line of a bad protocol), not to the caller.
 */
function misconfigured(err: ConfigError): Response {
  console.error(err.message);
  const outcome = {
    resourceType: "OperationOutcome",
    issue: [
      {
        severity: "fatal",
        code: "exception",
        diagnostics: "The gateway's configuration is invalid; its log names the problem",
      },
    ],
  };
  return new Response(JSON.stringify(outcome), { status: 503, headers: { "content-type": "application/fhir+json" } });
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    let app: Hono<AppEnv>;
    try {
      app = appFor(env);
    } catch (err) {
      if (err instanceof ConfigError) return misconfigured(err);
      throw err;
    }
    return app.fetch(request, env, ctx);
  },
  scheduled(controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): void {
    ctx.waitUntil(deliverScheduled(env));
    ctx.waitUntil(scheduledReturns(env, ctx, new Date(controller.scheduledTime)));
  },
  queue(batch: MessageBatch<unknown>, env: WorkerEnv): Promise<void> {
    return runReturnJobs(batch, env);
  },
} satisfies ExportedHandler<WorkerEnv>;
