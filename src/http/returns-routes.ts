/**
 * National returns over HTTP (issue 11 scope 3; docs/RETURNS.md): `POST /returns/{kind}` starts a build and answers
 * 202 with the job; `GET /returns` lists the organisation's jobs; `GET /returns/{id}` shows progress;
 * `GET /returns/{id}/file` (`?name=`) and `GET /returns/{id}/risk-report` fetch the outputs;
 * `POST /returns/{id}/$submit` sends the file to the national endpoint. Every call is decided and audited by
 * the returns service; errors are OperationOutcomes.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import type { GatewayConfig } from "../config.js";
import { badRequest, notFound } from "../fhir/errors.js";
import type { JobState } from "../returns/jobs/job-events.js";
import type { JobScheduler, ReturnsService } from "../returns/jobs/service.js";
import { RETURN_KINDS, type ReturnKind, type ReturnRequest } from "../returns/port.js";
import type { AppEnv } from "./context.js";
import { publicBase } from "./public-base.js";

const day = z.iso.date();
const code = z.string().regex(/^[A-Za-z0-9]{1,16}$/);
/** The body of `POST /returns/{kind}`. */
export const startBody = z
  .object({
    period: z.object({ start: day, end: day }),
    scope: z
      .object({ org: code.optional(), la: code.optional(), year: z.number().int().min(2000).max(2100).optional() })
      .strict()
      .default({}),
  })
  .strict()
  .refine((b) => b.period.start <= b.period.end, {
    message: "period.start must not be after period.end",
    path: ["period"],
  });

/** A job as the API shows it: no file keys, links to the outputs. */
export function jobView(job: JobState, base: string) {
  const self = `${base}/returns/${job.id}`;
  return {
    id: job.id,
    kind: job.request.kind,
    period: job.request.period,
    scope: job.request.scope,
    status: job.status,
    requestedAt: job.requestedAt,
    updatedAt: job.updatedAt,
    requestedBy: { org: job.by.org, role: job.by.role },
    progress: job.progress,
    ...(job.error ? { error: job.error } : {}),
    files: job.files.map((f) => ({
      name: f.name,
      mediaType: f.mediaType,
      bytes: f.bytes,
      sha256: f.sha256,
      href: `${self}/file?name=${encodeURIComponent(f.name)}`,
    })),
    ...(job.risk ? { riskReport: `${self}/risk-report` } : {}),
    submission: {
      attempts: job.submission.attempts,
      ...(job.submission.lastError ? { lastError: job.submission.lastError } : {}),
      ...(job.submission.receipt ? { receipt: job.submission.receipt } : {}),
    },
    links: { self, submit: `${self}/$submit` },
  };
}

/** What the routes are built from. */
export interface ReturnsRouteDeps {
  service: ReturnsService;
  config: Pick<GatewayConfig, "baseUrl" | "allowedHosts">;
  /** How a started job is run; default: in this process, after the answer. */
  schedule?: JobScheduler;
}

/** The in-process scheduler: runs the build after the request is answered; a failure is recorded by the job. */
export const inProcess: JobScheduler = (_id, run) => {
  setTimeout(() => void run().catch(() => undefined), 0);
};

/** The returns routes, mounted at `/returns`. */
export function returnsRoutes(deps: ReturnsRouteDeps, auth: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  app.use("*", publicBase(deps.config.baseUrl, deps.config.allowedHosts), auth);
  // The site root: links are built against the gateway's origin (the FHIR base without /fhir).
  const base = (c: { get(k: "base"): string }) => c.get("base").replace(/\/fhir$/, "");

  app.get("/", async (c) => {
    const jobs = await deps.service.list(c.get("actor"));
    return c.json({ jobs: jobs.map((j) => jobView(j, base(c))) });
  });

  app.post("/:id/:op{(?:\\$|%24)submit}", async (c) => {
    const result = await deps.service.submit(c.get("actor"), c.req.param("id"));
    return c.json(result, 200);
  });

  app.post("/:kind", async (c) => {
    const kind = c.req.param("kind");
    if (!(RETURN_KINDS as readonly string[]).includes(kind)) {
      throw notFound(`No return kind ${kind.slice(0, 40)}: one of ${RETURN_KINDS.join(", ")}`);
    }
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw badRequest("The body must be JSON: {period: {start, end}, scope: {org?, la?, year?}}");
    }
    const parsed = startBody.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw badRequest(`Invalid request: ${issue?.message ?? "bad body"}`, [issue?.path.join(".") || "body"]);
    }
    const request: ReturnRequest = { kind: kind as ReturnKind, period: parsed.data.period, scope: parsed.data.scope };
    let schedule = deps.schedule ?? inProcess;
    // On Workers without a Queue the build runs after the answer, kept alive by waitUntil.
    if (!deps.schedule) {
      try {
        const ctx = c.executionCtx;
        schedule = (_id, run) => ctx.waitUntil(run());
      } catch {
        // Node: no execution context
      }
    }
    const job = await deps.service.start(c.get("actor"), request, schedule);
    const view = jobView(job, base(c));
    return c.json(view, 202, { Location: view.links.self });
  });

  app.get("/:id", async (c) => c.json(jobView(await deps.service.status(c.get("actor"), c.req.param("id")), base(c))));

  app.get("/:id/risk-report", async (c) => c.json(await deps.service.riskReport(c.get("actor"), c.req.param("id"))));

  app.get("/:id/file", async (c) => {
    const { name, file, sha256 } = await deps.service.file(c.get("actor"), c.req.param("id"), c.req.query("name"));
    return c.body(file.bytes as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": file.mediaType,
      "Content-Disposition": `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
      ETag: `"${sha256}"`,
      "Cache-Control": "no-store",
    });
  });
  return app;
}
