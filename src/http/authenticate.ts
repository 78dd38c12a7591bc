/** Authentication middleware: a bearer JWT from a trusted issuer becomes the request's actor. */
import type { MiddlewareHandler } from "hono";
import type { TokenVerifier } from "../auth/token-verifier.js";
import { unauthorized } from "../fhir/errors.js";
import type { AppEnv } from "./context.js";

/** Requires `Authorization: Bearer <jwt>`; sets `actor` or throws 401/403. */
export function authenticate(verify: TokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("Authorization");
    const m = header ? /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header) : null;
    if (!m?.[1]) throw unauthorized("A bearer token is required", header ? "invalid_request" : "invalid_token");
    c.set("actor", await verify(m[1], c.req.header("X-Purpose-Of-Use")));
    await next();
  };
}
