/** Request logging middleware: request id, method, route pattern, status and latency — never the URL or body. */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Logger } from "../log/logger.js";
import type { AppEnv } from "./context.js";

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Sets `requestId` (from a well-formed `X-Request-Id`, else a new UUID) and a child logger, and logs
 * one line per request. The route is the pattern (`/fhir/:type/:id`), so ids and query strings stay out.
 */
export function requestLog(logger: Logger, now: () => number = () => performance.now()): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = now();
    const incoming = c.req.header("X-Request-Id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("logger", logger.child({ requestId }));
    await next();
    c.header("X-Request-Id", requestId);
    const actor = c.var.actor;
    logger.info(
      {
        requestId,
        method: c.req.method,
        route: routePath(c),
        status: c.res.status,
        latencyMs: Math.round((now() - started) * 100) / 100,
        ...(actor ? { org: actor.org, orgType: actor.orgType, role: actor.role, purpose: actor.purposeOfUse } : {}),
      },
      "request",
    );
  };
}
