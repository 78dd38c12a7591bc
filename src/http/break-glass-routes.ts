/**
 * The break-glass review routes (issue 10 scope 6; docs/LOOKUPS.md), for the safeguarding lead of the caller's
 * organisation: `GET /reports/break-glass` lists the break-glass reads of its users awaiting review (or reviewed:
 * `?status=completed|all`), a page at a time; `POST /reports/break-glass/{taskId}/review` records a review. Both are
 * audited (a deny before the error, a permit before the answer or the write).
 */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AuditAccess, AuditDecision } from "../audit/audit-event.js";
import type { Auditor } from "../audit/auditor.js";
import type { Actor } from "../auth/actor.js";
import type { GatewayConfig } from "../config.js";
import { badRequest, forbidden, payloadTooLarge } from "../fhir/errors.js";
import {
  awaitingReview,
  breakGlassQueue,
  QUEUE_STATUSES,
  type QueueOptions,
  type QueueStatus,
} from "../lookups/break-glass-queue.js";
import {
  BREAK_GLASS_REVIEW_RULE,
  MALFORMED_BODY,
  markBreakGlassReviewed,
  refuseReview,
} from "../lookups/break-glass-review.js";
import { DEFAULT_COUNT, decodeReportCursor, encodeReportCursor, parseCount } from "../reports/paging.js";
import type { Store } from "../store/port.js";
import type { AppEnv } from "./context.js";
import { publicBase } from "./public-base.js";
import { reportsBase } from "./report-routes.js";

export { BREAK_GLASS_REVIEW_RULE };

/** What the queue and the review are built from. */
export interface BreakGlassRouteDeps {
  store: Store;
  auditor: Auditor;
  clock: () => Date;
}

/** Largest review body (a note is at most 1,000 characters). */
const BODY_LIMIT = 16 * 1024;

/**
 * A page of the review queue for `actor`: only a safeguarding lead, of their own organisation. The read is audited (a
 * deny before the 403, a permit before the answer). The route below and the console's review page both call it.
 */
export async function reviewBreakGlass(deps: BreakGlassRouteDeps, actor: Actor, options: QueueOptions = {}) {
  const access: AuditAccess = {
    interaction: "operation",
    operation: "break-glass-review",
    resourceType: "Task",
  };
  const permitted = actor.role === "safeguarding-lead";
  const decision: AuditDecision = permitted
    ? {
        effect: "permit",
        level: "summary",
        rule: BREAK_GLASS_REVIEW_RULE,
        legalBasis: "UK GDPR Art. 5(2) (accountability)",
        reasons: ["safeguarding lead reviews their organisation's break-glass reads"],
      }
    : {
        effect: "deny",
        level: "none",
        rule: BREAK_GLASS_REVIEW_RULE,
        reasons: ["role may not review break-glass reads"],
      };
  if (!permitted) {
    await deps.auditor.record(actor, access, decision);
    throw forbidden("Only a safeguarding lead may read the break-glass review queue of their organisation");
  }
  const now = deps.clock();
  const status = options.status ?? "requested";
  const page = await breakGlassQueue(deps.store, actor.org, now, { ...options, status });
  const waiting = status === "requested" ? page.total : await awaitingReview(deps.store, actor.org);
  await deps.auditor.record(actor, access, decision);
  return {
    organisation: actor.org,
    at: now.toISOString(),
    status,
    awaitingReview: waiting,
    total: page.total,
    count: page.entries.length,
    entries: page.entries,
    ...(page.next ? { next: page.next } : {}),
  };
}

/** The query parameters, each at most once and each one the route knows; 400 otherwise. */
function queueParams(url: string): { status: QueueStatus; count: number; cursor?: string } {
  const out: Record<string, string> = {};
  for (const [name, value] of new URL(url).searchParams) {
    if (!["status", "_count", "_cursor"].includes(name))
      throw badRequest("Unknown parameter; the queue takes status, _count and _cursor", ["query"]);
    if (name in out) throw badRequest("A parameter may be given once", [name]);
    out[name] = value;
  }
  const status = (out.status ?? "requested") as QueueStatus;
  if (!QUEUE_STATUSES.includes(status))
    throw badRequest(`status must be one of ${QUEUE_STATUSES.join(", ")}`, ["status"]);
  return {
    status,
    count: parseCount(out._count) ?? DEFAULT_COUNT,
    ...(out._cursor !== undefined ? { cursor: out._cursor } : {}),
  };
}

/** The routes, mounted at `/reports/break-glass`. */
export function breakGlassRoutes(
  deps: BreakGlassRouteDeps & { config: Pick<GatewayConfig, "baseUrl" | "allowedHosts"> },
  auth: MiddlewareHandler<AppEnv>,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  app.use("*", publicBase(deps.config.baseUrl, deps.config.allowedHosts), auth);
  app.get("/", async (c) => {
    const p = queueParams(c.req.url);
    const kind = `break-glass-${p.status}`;
    const after = p.cursor === undefined ? undefined : decodeReportCursor(p.cursor, kind);
    const body = await reviewBreakGlass(deps, c.get("actor"), {
      status: p.status,
      count: p.count,
      ...(after ? { after } : {}),
    });
    const { next, ...rest } = body;
    if (!next) return c.json(rest);
    const q = new URLSearchParams({
      status: p.status,
      _count: String(p.count),
      _cursor: encodeReportCursor(kind, next),
    });
    const link = `${reportsBase(c)}/break-glass?${q}`;
    c.header("Link", `<${link}>; rel="next"`);
    return c.json({ ...rest, next: link });
  });
  app.post(
    "/:id/review",
    bodyLimit({
      maxSize: BODY_LIMIT,
      onError: (c) =>
        refuseReview(
          deps,
          c.get("actor"),
          c.req.param("id") ?? "",
          "review body too large",
          payloadTooLarge(BODY_LIMIT),
        ),
    }),
    async (c) => {
      const text = await c.req.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = MALFORMED_BODY;
      }
      const result = await markBreakGlassReviewed(
        deps,
        c.get("actor"),
        c.req.param("id"),
        body,
        c.req.header("If-Match"),
      );
      return c.json(result.entry);
    },
  );
  return app;
}
