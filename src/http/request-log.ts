/** Request logging middleware: request id, method, route pattern, status and latency — never the URL or body. */
import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { boundLogger } from "../log/bound-logger.js";
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
 * Sets `X-Request-Id` on a finished response. Setting it on the response's own headers keeps a Node response
 * that @hono/node-server holds as plain status, body and headers in that cheap form; Hono's `c.header` after the
 * handler would copy the response into a full WHATWG Response and stream its body (several µs and a second
 * socket write per request). A response whose headers cannot be changed is copied as `c.header` would.
 */
function setRequestIdHeader(c: Context<AppEnv>, requestId: string): void {
  try {
    c.res.headers.set("X-Request-Id", requestId);
  } catch {
    c.header("X-Request-Id", requestId);
  }
}

/**
 * Sets `requestId` (from a safe `X-Request-Id`, see {@link isSafeRequestId}, else a new UUID) and a logger that adds it
 * to every record, and logs one line per request. The route is the pattern (`/fhir/:type/:id`), so ids and query
 * strings stay out.
 */
export function requestLog(logger: Logger, now: () => number = () => performance.now()): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = now();
    const incoming = c.req.header("X-Request-Id");
    const requestId = incoming && isSafeRequestId(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("logger", boundLogger(logger, { requestId }));
    await next();
    setRequestIdHeader(c, requestId);
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
