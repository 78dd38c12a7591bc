/** Authentication middleware: a bearer JWT from a trusted issuer becomes the request's actor. */
import type { MiddlewareHandler } from "hono";
import type { TokenVerifier } from "../auth/token-verifier.js";
import { GatewayError, unauthorized } from "../fhir/errors.js";
import type { AppEnv } from "./context.js";

/** Longest `Authorization` header read (a JWT from an identity provider is 1–4 KB); longer is a 431. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

/**
 * Requires `Authorization: Bearer <jwt>`; sets `actor` or throws 401/403 (431 for an oversized header).
 * The challenge's error code follows RFC 6750 §3.1: `invalid_request` when the request carries no bearer
 * token (no header, another scheme, or a header that is not `Bearer <token>`), `invalid_token` when the
 * token itself is malformed, expired, untrusted or otherwise refused (set by the verifier).
 */
export function authenticate(verify: TokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("Authorization");
    if (header && header.length > MAX_AUTHORIZATION_LENGTH) {
      throw new GatewayError(431, "header-too-large", [
        {
          severity: "error",
          code: "too-long",
          diagnostics: `The Authorization header is longer than ${MAX_AUTHORIZATION_LENGTH} characters`,
          expression: ["Authorization"],
        },
      ]);
    }
    const m = header ? /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(header) : null;
    if (!m?.[1]) throw unauthorized("A bearer token is required", "invalid_request");
    c.set("actor", await verify(m[1], c.req.header("X-Purpose-Of-Use")));
    await next();
  };
}
