/** `GET /.well-known/jwks.json`: the public keys notification signatures verify against (no authentication: they are public). */
import { Hono } from "hono";
import type { JWK } from "jose";
import { publicJwks } from "../notify/signing.js";
import type { AppEnv } from "./context.js";

/** The /.well-known router over the configured signing keys (an empty set when none is configured). */
export function wellKnownRoutes(signingKeys: readonly JWK[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  const body = JSON.stringify(publicJwks(signingKeys));
  app.get("/jwks.json", (c) =>
    c.body(body, 200, { "Content-Type": "application/jwk-set+json", "Cache-Control": "public, max-age=300" }),
  );
  return app;
}
