// Builds the real app over a real store for in-process HTTP tests (app.request, no server).
import { buildApp } from "../../src/app.js";
import { createTokenVerifier, type IssuerConfig } from "../../src/auth/token-verifier.js";
import { parseConfig } from "../../src/config.js";
import type { Logger } from "../../src/log/logger.js";
import { silentLogger } from "../../src/log/logger.js";
import type { AuditSink } from "../../src/policy/audit.js";
import type { JobScheduler } from "../../src/returns/jobs/service.js";
import type { ReturnBuilder } from "../../src/returns/port.js";
import type { Store } from "../../src/store/port.js";
import { createTestIssuer, type TestIssuer } from "./tokens.js";

/** A ready app with its store, issuer and a helper to send authenticated FHIR requests. */
export interface TestApp {
  app: ReturnType<typeof buildApp>;
  store: Store;
  issuer: TestIssuer;
  token: string;
  /** Sends a request with the default token; `init.headers` may override it. */
  fhir(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
}

/** Creates a test app on `store`. Extra env vars override the defaults. */
export async function createTestApp(
  store: Store,
  env: Record<string, string> = {},
  options: {
    logger?: Logger;
    issuers?: IssuerConfig[];
    clock?: () => Date;
    audit?: AuditSink;
    returnBuilder?: ReturnBuilder;
    returnScheduler?: JobScheduler;
  } = {},
): Promise<TestApp> {
  const issuer = await createTestIssuer();
  // Requests go to http://gw.test (app.request); links may be built from that host, as from this machine's.
  const config = parseConfig({ TFG_ALLOWED_HOSTS: "gw.test,localhost,127.0.0.1", ...env });
  config.issuers.push(
    { issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: [issuer.publicJwk] } },
    ...(options.issuers ?? []),
  );
  const app = buildApp({
    store,
    logger: options.logger ?? silentLogger,
    config,
    verifyToken: createTokenVerifier(config),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.returnBuilder ? { returnBuilder: options.returnBuilder } : {}),
    ...(options.returnScheduler ? { returnScheduler: options.returnScheduler } : {}),
  });
  const token = await issuer.sign();
  return {
    app,
    store,
    issuer,
    token,
    fhir(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has("Authorization")) headers.set("Authorization", `Bearer ${token}`);
      let body = init.body;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        if (!headers.has("Content-Type")) headers.set("Content-Type", "application/fhir+json");
      }
      return Promise.resolve(app.request(`http://gw.test${path}`, { ...init, headers, body }));
    },
  };
}
