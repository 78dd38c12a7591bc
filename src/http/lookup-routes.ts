/**
 * The family lookups over HTTP (issue 10 scope 8; docs/LOOKUPS.md), mounted on `/fhir` before the FHIR routes:
 * `POST /fhir/Patient/$household-check`, `GET /fhir/Patient/{id}/$family`, and their OperationDefinitions at
 * `GET /fhir/OperationDefinition/{household-check|family}`. The actor and purpose come from the token (and
 * X-Purpose-Of-Use, as authenticate reads them); a stated reason (break-glass, s47 justification) from `X-Access-Reason` (the same header as every /fhir read).
 */

import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { Auditor } from "../audit/auditor.js";
import type { Actor } from "../auth/actor.js";
import type { DeriveView } from "../derive/port.js";
import { storeView } from "../derive/store-view.js";
import { badRequest } from "../fhir/errors.js";
import { Lookup } from "../households/lookup.js";
import { parseChildQuery } from "../lookups/child-query.js";
import type { LookupContext } from "../lookups/decide-record.js";
import { family } from "../lookups/family.js";
import { householdCheck } from "../lookups/household-check.js";
import { LOOKUP_OPERATIONS } from "../lookups/operation-definitions.js";
import type { Policy } from "../policy/policy.js";
import { ViewRelationshipResolver } from "../policy/relationships-view.js";
import type { Store } from "../store/port.js";
import { requireJson } from "./accept.js";
import type { AppEnv } from "./context.js";
import { fhirJson, readFhirJson } from "./fhir-response.js";
import { MAX_REASON_LENGTH, REASON_HEADER } from "./interaction-routes.js";

/** What the lookup routes are built from. */
export interface LookupRouteDeps {
  store: Store;
  auditor: Auditor;
  policy: Policy;
  clock: () => Date;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function contextOf(c: Context<AppEnv>, deps: LookupRouteDeps, operation: LookupContext["operation"]): LookupContext {
  const reason = c.req.header(REASON_HEADER)?.trim();
  if (reason && reason.length > MAX_REASON_LENGTH)
    throw badRequest(`${REASON_HEADER} is longer than ${MAX_REASON_LENGTH} characters`, [REASON_HEADER]);
  return lookupContext(deps, c.get("actor"), operation, reason);
}

/** The context a lookup runs in for `actor` (the routes' and the console's alike: same policy, same audit). */
export function lookupContext(
  deps: LookupRouteDeps,
  actor: Actor,
  operation: LookupContext["operation"],
  reason?: string,
): LookupContext {
  const view: DeriveView = storeView(deps.store);
  // One memo for the request: the answer's reads and the policy's relationship reads overlap (the same households).
  const lookup = new Lookup(view);
  return {
    actor,
    policy: deps.policy,
    lookup,
    resolver: new ViewRelationshipResolver(view, lookup),
    auditor: deps.auditor,
    at: deps.clock().toISOString(),
    operation,
    ...(reason ? { reason } : {}),
  };
}

/** The lookup routes; `auth` is the app's authentication middleware. */
export function lookupRoutes(deps: LookupRouteDeps, auth: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  app.use("/Patient/:op{(?:\\$|%24)household-check}", requireJson, auth);
  app.use("/Patient/:id/:op{(?:\\$|%24)family}", requireJson, auth);
  app.use("/OperationDefinition/:id", requireJson);
  app.post("/Patient/:op{(?:\\$|%24)household-check}", async (c) => {
    const query = parseChildQuery(await readFhirJson(c));
    return fhirJson(await householdCheck(contextOf(c, deps, "$household-check"), query));
  });
  app.get("/Patient/:id/:op{(?:\\$|%24)family}", async (c) => {
    const id = c.req.param("id");
    if (!ID.test(id)) throw badRequest("The Patient id must be 1–64 letters, digits, '-' or '.'", ["id"]);
    return fhirJson(await family(contextOf(c, deps, "$family"), id));
  });
  app.get("/OperationDefinition/:id", async (c, next) => {
    const def = LOOKUP_OPERATIONS[c.req.param("id")];
    if (!def) return next();
    return fhirJson(def);
  });
  return app;
}
