/** Request logging middleware: request id, method, route pattern, status and latency — never the URL or body. */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Logger } from "../log/logger.js";
import type { AppEnv } from "./context.js";

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True when a client's `X-Request-Id` may be used (and logged) as it is: 8–64 characters of A–Z a–z 0–9 `.` `_` `-`
 * that look like no identifier — no 8 or more digits in a row (an NHS number, a date written 19830714), counting
 * across separators except between a UUID's groups (so `999-000-0018` is refused), and no date-like digits
 * (`1983-07-14`, `14.7.83`). Request ids are logged as they are, and pattern redaction alone misses an NHS
 * number glued to letters (`ref_9990000018`), so anything else is replaced by a new UUID.
 */
export function isSafeRequestId(id: string): boolean {
  if (!REQUEST_ID.test(id)) return false;
  const digitsAcross = UUID.test(id) ? id : id.replace(/[._-]/g, "");
  if (/\d{8}/.test(digitsAcross)) return false;
  return !/\d[._-]\d{1,2}[._-]\d/.test(id);
}

/**
 * Sets `requestId` (from a safe `X-Request-Id`, see {@link isSafeRequestId}, else a new UUID) and a child logger, and logs
 * one line per request. The route is the pattern (`/fhir/:type/:id`), so ids and query strings stay out.
 */
export function requestLog(logger: Logger, now: () => number = () => performance.now()): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = now();
    const incoming = c.req.header("X-Request-Id");
    const requestId = incoming && isSafeRequestId(incoming) ? incoming : crypto.randomUUID();
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
