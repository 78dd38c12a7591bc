/** buildApp(deps): the whole gateway as a Hono app. Imports no runtime or driver code (DESIGN.md rule 1). */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { READ_ONLY_TYPES } from "./audit/access.js";
import { type Auditor, createAuditor } from "./audit/auditor.js";
import { reviewTaskWriteRefusal } from "./audit/break-glass-review-task.js";
import { recordReceivedAudit } from "./audit/received.js";
import { ownershipRule } from "./auth/ownership.js";
import type { TokenVerifier } from "./auth/token-verifier.js";
import type { GatewayConfig } from "./config.js";
import type { ConsoleAssets } from "./console/assets.js";
import { consoleReturns } from "./console/returns-adapter.js";
import type { ConsoleReturns } from "./console/returns-page.js";
import { consoleRoutes } from "./console/routes.js";
import { storeView } from "./derive/store-view.js";
import { payloadTooLarge } from "./fhir/errors.js";
import { ResourceService } from "./fhir/resource-service.js";
import { setServerTimeZone } from "./fhir/search-dates.js";
import { adminRoutes } from "./http/admin-routes.js";
import { auditEventGate, auditRoutes, auditSideDoorGuard } from "./http/audit-routes.js";
import { authenticate } from "./http/authenticate.js";
import { breakGlassRoutes } from "./http/break-glass-routes.js";
import type { AppEnv } from "./http/context.js";
import { onError, onNotFound } from "./http/error-handler.js";
import { fhirRoutes } from "./http/fhir-routes.js";
import { ingestRoutes } from "./http/ingest-routes.js";
import { lookupRoutes } from "./http/lookup-routes.js";
import { reportRoutes } from "./http/report-routes.js";
import { requestLog } from "./http/request-log.js";
import { inProcess, returnsRoutes } from "./http/returns-routes.js";
import { wellKnownRoutes } from "./http/well-known-routes.js";
import type { ResourceValidator } from "./ingest/ingest-service.js";
import { linkageRoutes } from "./linkage/routes.js";
import type { Logger } from "./log/logger.js";
import { createSigner } from "./notify/signing.js";
import { subscriptionRule } from "./notify/subscription-rule.js";
import type { AuditSink } from "./policy/audit.js";
import { auditSinkFor } from "./policy/audit-adapter.js";
import { baselinePolicy } from "./policy/baseline.js";
import { Enforcement } from "./policy/enforce.js";
import { buildReturn } from "./returns/build.js";
import { type JobScheduler, ReturnsService } from "./returns/jobs/service.js";
import type { ReturnBuilder } from "./returns/port.js";
import type { Store } from "./store/port.js";

/** Software identity reported in the CapabilityStatement. */
export const SOFTWARE = { name: "Think Family Gateway", version: "0.1.0" };
const RELEASE_DATE = "2026-11-24";

/** The ports the app is built from. Runtimes (src/runtime) construct them. */
export interface AppDeps {
  store: Store;
  logger: Logger;
  verifyToken: TokenVerifier;
  config: GatewayConfig;
  clock?: () => Date;
  newId?: () => string;
  /** Validates resources produced by ingest; default the generated validators (R4 base + claimed profile). */
  validate?: ResourceValidator | false;
  /**
   * Where every /fhir read's permits and denies are recorded (src/policy/audit.ts); a sink that throws refuses the
   * read with 503. Default: the hash-chained audit log in `store` (src/audit).
   */
  audit?: AuditSink;
  /** Builds national returns; default the builders in src/returns (tests may pass their own). */
  returnBuilder?: ReturnBuilder;
  /** Runs a started return job; default in this process after the answer (on Workers: waitUntil, or a Queue). */
  returnScheduler?: JobScheduler;
  /** nhsuk-frontend's compiled CSS and JS for the web console at /console (read by the runtime). */
  consoleAssets?: ConsoleAssets;
  /** The returns jobs as the console's returns page uses them (src/console/returns-page.tsx). */
  consoleReturns?: ConsoleReturns;
  /** fetch the console's OpenID Connect client uses (tests pass an in-process issuer). */
  consoleFetch?: typeof fetch;
}

/** A lazily computed value, computed once. */
function memo<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= f();
    return p;
  };
}

/** The national returns service over the app's ports (the Worker's Cron and Queue handlers build it too). */
export function returnsService(deps: AppDeps, auditor?: Auditor): ReturnsService {
  const clock = deps.clock ?? (() => new Date());
  const newId = deps.newId ?? (() => crypto.randomUUID());
  return new ReturnsService({
    store: deps.store,
    auditor: auditor ?? createAuditor({ store: deps.store, clock, newId, source: { name: SOFTWARE.name } }),
    build: deps.returnBuilder ?? buildReturn,
    settings: deps.config.returns,
    signer: memo(() => createSigner(deps.config.notify.signingKeys)),
    clock,
    newId,
    logger: deps.logger,
  });
}

/** Builds the gateway. The same app serves Node (@hono/node-server) and Workers. */
export function buildApp(deps: AppDeps): Hono<AppEnv> {
  const { config } = deps;
  setServerTimeZone(config.timeZone ?? "UTC");
  const ownership = ownershipRule(config.submitters ?? {});
  const clock = deps.clock ?? (() => new Date());
  const auditor = createAuditor({
    store: deps.store,
    clock,
    newId: deps.newId ?? (() => crypto.randomUUID()),
    source: { name: SOFTWARE.name },
  });
  // The sharing protocol: the area's (TFG_POLICY, checked when the configuration was read) or the built-in baseline
  // (a bad built-in file stops the gateway here, naming its line). Every /fhir read's permits and denies go to the
  // audit log (a failed audit write refuses the read).
  const policy = config.policy ?? baselinePolicy();
  const enforcement = new Enforcement({
    policy,
    view: storeView(deps.store),
    audit: deps.audit ?? auditSinkFor(auditor),
    clock,
  });
  const service = new ResourceService({
    enforcement,
    ownership,
    store: deps.store,
    clock,
    newId: deps.newId ?? (() => crypto.randomUUID()),
    paging: config.paging,
    writeRules: { Subscription: subscriptionRule },
    readOnlyTypes: READ_ONLY_TYPES,
    // Break-glass review Tasks change only through POST /reports/break-glass/{id}/review (docs/LOOKUPS.md).
    gatewayWritten: reviewTaskWriteRefusal,
    // Other systems record their AuditEvents into the same chain (IHE BALP Record Audit Event; docs/AUDIT.md).
    createWriters: {
      AuditEvent: (resource, caller, id, now) => recordReceivedAudit(deps.store, resource, caller, id, now),
    },
    // AuditEvent reads are decided and audited by the audit gate (docs/AUDIT.md), not by the sharing protocol.
    readsDecidedElsewhere: READ_ONLY_TYPES,
  });

  const app = new Hono<AppEnv>({ strict: false });
  app.use("*", requestLog(deps.logger));
  const limit = (maxSize: number): MiddlewareHandler<AppEnv> => {
    const limiter = bodyLimit({
      maxSize,
      onError: () => {
        throw payloadTooLarge(maxSize);
      },
    });
    // A GET or HEAD request has no body to limit (bodyLimit would find `body` null and pass it on), but asking for
    // the body makes @hono/node-server build a full Request with an AbortSignal: skipped on every read.
    return (c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? next() : limiter(c, next));
  };
  app.use("/fhir/*", limit(config.bodyLimitBytes));
  // /ingest is not limited here: Hono's bodyLimit buffers a chunked body before any handler runs, so the
  // ingest route authenticates first, then reads the body as it parses it, stopping at ingestLimitBytes.
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.route("/.well-known", wellKnownRoutes(config.notify.signingKeys));

  const auth = authenticate(deps.verifyToken);
  // AuditEvents: written only by the auditor, read only by audit readers, every read audited (docs/AUDIT.md).
  // ("/fhir/AuditEvent/*" matches "/fhir/AuditEvent" itself too: one registration, or each read is audited twice.)
  app.use("/fhir/AuditEvent/*", auditEventGate(auditor, auth));
  app.use("/fhir/*", auditSideDoorGuard(auth));
  // The family lookups (docs/LOOKUPS.md): before the FHIR routes, which answer other operations with 501.
  app.route(
    "/fhir",
    lookupRoutes({ store: deps.store, auditor, policy, clock: deps.clock ?? (() => new Date()) }, auth),
  );
  app.route(
    "/fhir",
    fhirRoutes(
      {
        service,
        software: SOFTWARE,
        releaseDate: RELEASE_DATE,
        ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
        allowedHosts: config.allowedHosts,
      },
      auth,
    ),
  );

  app.route(
    "/ingest",
    ingestRoutes(
      {
        store: deps.store,
        clock: deps.clock ?? (() => new Date()),
        ownership,
        // A resource stored by ingest is bounded as one sent to /fhir is.
        maxResourceBytes: config.bodyLimitBytes,
        ...(deps.validate !== undefined ? { validate: deps.validate } : {}),
      },
      auth,
      { limitBytes: config.ingestLimitBytes },
    ),
  );

  app.route("/admin", adminRoutes(deps.store, auth));
  app.route("/audit", auditRoutes({ store: deps.store, auditor }, auth));
  app.route("/reports/break-glass", breakGlassRoutes({ store: deps.store, auditor, clock, config }, auth));
  app.route("/reports", reportRoutes({ store: deps.store, auditor, policy, clock: deps.clock, config }, auth));
  const returns = returnsService(deps, auditor);
  app.route(
    "/returns",
    returnsRoutes(
      { service: returns, config, ...(deps.returnScheduler ? { schedule: deps.returnScheduler } : {}) },
      auth,
    ),
  );
  app.route("/linkage", linkageRoutes({ store: deps.store, clock: deps.clock ?? (() => new Date()) }, auth, service));
  // The web console (docs/CONSOLE.md): its own session sign-in, the same services, policy and audit as the API.
  app.route(
    "/console",
    consoleRoutes({
      store: deps.store,
      auditor,
      policy,
      clock,
      config,
      ownership,
      service,
      ...(deps.validate !== undefined ? { validate: deps.validate } : {}),
      ...(deps.consoleAssets ? { assets: deps.consoleAssets } : {}),
      ...(deps.consoleFetch ? { fetch: deps.consoleFetch } : {}),
      returns: deps.consoleReturns ?? consoleReturns(returns, deps.returnScheduler ?? inProcess),
    }) as unknown as Hono<AppEnv>,
  );

  app.notFound(onNotFound);
  app.onError(onError);
  return app;
}
