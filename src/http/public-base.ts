/**
 * The FHIR base that links (`self`, `next`, `fullUrl`, `Location`) are built from: the configured
 * TFG_BASE_URL, else the request's own origin only when its host is on the allow-list (TFG_ALLOWED_HOSTS).
 * A request naming another host is refused before anything runs, so a forged `Host` header never reaches a
 * link a client would follow with its bearer token.
 */
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../fhir/errors.js";
import type { AppEnv } from "./context.js";

/** True when `url`'s host is allowed: an entry `name` admits any port of that host, `name:port` that port only. */
export function hostAllowed(url: URL, allowedHosts: readonly string[]): boolean {
  const host = url.host.toLowerCase();
  const name = url.hostname.toLowerCase();
  return allowedHosts.some((h) => h === host || h === name);
}

/** Middleware setting `base` for the FHIR routes, or answering 400 when the request's host is not allowed. */
export function publicBase(baseUrl: string | undefined, allowedHosts: readonly string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (baseUrl) c.set("base", baseUrl);
    else {
      const url = new URL(c.req.url);
      if (!hostAllowed(url, allowedHosts)) {
        throw new GatewayError(400, "host-not-allowed", [
          {
            severity: "error",
            code: "security",
            diagnostics:
              "The request's Host is not one this gateway serves (an operator sets TFG_BASE_URL or TFG_ALLOWED_HOSTS)",
            expression: ["Host"],
          },
        ]);
      }
      c.set("base", `${url.origin}/fhir`);
    }
    await next();
  };
}
