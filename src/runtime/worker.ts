/** Cloudflare Workers entry point: the same app on D1. Configuration comes from wrangler vars and secrets. */
/// <reference path="./text-modules.d.ts" />
import type { Hono } from "hono";
// The console's NHS.UK stylesheet and script, as text (wrangler.toml's Text rule).
import nhsukCss from "nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css";
import nhsukJs from "nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js";
import { buildApp } from "../app.js";
import { createTokenVerifier } from "../auth/token-verifier.js";
import { parseConfig } from "../config.js";
import type { AppEnv } from "../http/context.js";
import { consoleLogger } from "../log/console-logger.js";
import { deliverDue } from "../notify/deliver.js";
import { deliveryDeps } from "../notify/loop.js";
import { d1Store } from "../store/d1/index.js";

/** Bindings declared in wrangler.toml (vars and secrets are strings). */
export interface WorkerEnv {
  DB: D1Database;
  [name: string]: unknown;
}

let cached: { env: WorkerEnv; app: Hono<AppEnv> } | undefined;

/** Builds the app once per isolate (and again if the bindings object changes). */
function appFor(env: WorkerEnv): Hono<AppEnv> {
  if (cached?.env !== env) {
    const config = parseConfig(env);
    const logger = consoleLogger(config.logLevel);
    cached = {
      env,
      app: buildApp({
        store: d1Store(env.DB),
        logger,
        config,
        verifyToken: createTokenVerifier(config),
        consoleAssets: { css: nhsukCss, js: nhsukJs },
      }),
    };
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

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    return appFor(env).fetch(request, env, ctx);
  },
  scheduled(_controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): void {
    ctx.waitUntil(deliverScheduled(env));
  },
} satisfies ExportedHandler<WorkerEnv>;
