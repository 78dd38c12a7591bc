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

/** Most origins remembered by one {@link publicBase} (forged hosts could make many; the memory is cleared when full). */
const MAX_ORIGINS = 64;

/** A URL's scheme and an authority of host-name, IP-literal and port characters only, ending where its path begins. */
const SIMPLE_ORIGIN = /^https?:\/\/[A-Za-z0-9.:[\]-]+(?=\/|$)/;

/**
 * The scheme and authority of `url` when they are plain (letters, digits, `.`, `-`, `:`, `[`, `]`), else undefined.
 * A plain authority alone decides the URL's origin (nothing in it can end it early or make the parser skip
 * or reinterpret it, as `\\`, `@` or `%` can), so it keys what was decided for that origin; any other URL is
 * parsed whole every time.
 */
export function originKey(url: string): string | undefined {
  return SIMPLE_ORIGIN.exec(url)?.[0];
}

/** Middleware setting `base` for the FHIR routes, or answering 400 when the request's host is not allowed. */
export function publicBase(baseUrl: string | undefined, allowedHosts: readonly string[]): MiddlewareHandler<AppEnv> {
  // The base decided for each origin seen (undefined: not allowed), so a request does not parse its URL again.
  const decided = new Map<string, string | undefined>();
  return async (c, next) => {
    if (baseUrl) c.set("base", baseUrl);
    else {
      const key = originKey(c.req.url);
      let base = key === undefined ? undefined : decided.get(key);
      if (key === undefined || !decided.has(key)) {
        const url = new URL(c.req.url);
        base = hostAllowed(url, allowedHosts) ? `${url.origin}/fhir` : undefined;
        if (key !== undefined) {
          if (decided.size >= MAX_ORIGINS) decided.clear();
          decided.set(key, base);
        }
      }
      if (base === undefined) {
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
      c.set("base", base);
    }
    await next();
  };
}
