/**
 * `GET /reports/break-glass` (issue 10 scope 6; docs/LOOKUPS.md): the break-glass reads awaiting review by the caller's
 * organisation's safeguarding lead. Only a safeguarding lead may read it, of their own organisation; the read is itself
 * audited (a deny before the 403, a permit before the answer), since the queue is read from the audit.
 */
import { Hono, type MiddlewareHandler } from "hono";
import type { AuditAccess, AuditDecision } from "../audit/audit-event.js";
import type { Auditor } from "../audit/auditor.js";
import type { Actor } from "../auth/actor.js";
import { forbidden } from "../fhir/errors.js";
import { breakGlassQueue } from "../lookups/break-glass-queue.js";
import type { Store } from "../store/port.js";
import type { AppEnv } from "./context.js";

/** What the route is built from. */
export interface BreakGlassRouteDeps {
  store: Store;
  auditor: Auditor;
  clock: () => Date;
}

/** The rule recorded for reads of the review queue. */
export const BREAK_GLASS_REVIEW_RULE = "break-glass-review-by-safeguarding-lead";

/**
 * The review queue for `actor`: only a safeguarding lead, of their own organisation. The read is audited (a deny
 * before the 403, a permit before the answer). The route below and the console's review page both call it.
 */
export async function reviewBreakGlass(deps: BreakGlassRouteDeps, actor: Actor) {
  const access: AuditAccess = {
    interaction: "operation",
    operation: "break-glass-review",
    resourceType: "AuditEvent",
  };
  const permitted = actor.role === "safeguarding-lead";
  const decision: AuditDecision = permitted
    ? {
        effect: "permit",
        level: "summary",
        rule: BREAK_GLASS_REVIEW_RULE,
        legalBasis: "UK GDPR Art. 5(2) (accountability)",
        reasons: ["safeguarding lead reviews their organisation's break-glass reads"],
      }
    : {
        effect: "deny",
        level: "none",
        rule: BREAK_GLASS_REVIEW_RULE,
        reasons: ["role may not review break-glass reads"],
      };
  if (!permitted) {
    await deps.auditor.record(actor, access, decision);
    throw forbidden("Only a safeguarding lead may read the break-glass review queue of their organisation");
  }
  const now = deps.clock();
  const entries = await breakGlassQueue(deps.store, actor.org, now);
  await deps.auditor.record(actor, access, decision);
  return { organisation: actor.org, at: now.toISOString(), awaitingReview: entries.length, entries };
}

/** The review queue route, mounted at `/reports/break-glass`. */
export function breakGlassRoutes(deps: BreakGlassRouteDeps, auth: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  app.use("*", auth);
  app.get("/", async (c) => c.json(await reviewBreakGlass(deps, c.get("actor"))));
  return app;
}
