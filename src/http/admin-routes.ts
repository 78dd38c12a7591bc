/** Operator routes under /admin: `POST /admin/reindex` rebuilds the search index a step at a time (for D1, which has no CLI). */
import { Hono, type MiddlewareHandler } from "hono";
import { badRequest, forbidden } from "../fhir/errors.js";
import { SEARCH_INDEX_VERSION } from "../fhir/search-index.js";
import { reindexStep } from "../fhir/search-reindex.js";
import type { Store } from "../store/port.js";
import type { AppEnv } from "./context.js";
import { fhirJson } from "./fhir-response.js";

/** Resources one request reindexes at most (a Worker request has a bounded CPU budget). */
const STEP_LIMIT = 1000;

/**
 * The admin router (role `system` only). `POST /admin/reindex[?after=Type/id]` reindexes the next
 * resources and answers a Parameters resource: `reindexed`, `version` (the index's after this step),
 * and `next` (send it as `after` to continue) until the whole store is done.
 */
export function adminRoutes(store: Store, auth: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  app.use("*", auth);
  app.post("/reindex", async (c) => {
    if (c.get("actor").role !== "system") throw forbidden("Only a system token may rebuild the search index");
    const after = c.req.query("after");
    const m = after === undefined ? undefined : /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})$/.exec(after);
    if (after !== undefined && !m) throw badRequest("after must be Type/id, as returned in next", ["after"]);
    const step = await reindexStep(
      store,
      m ? { resourceType: m[1] as string, id: m[2] as string } : undefined,
      STEP_LIMIT,
    );
    return fhirJson({
      resourceType: "Parameters",
      parameter: [
        { name: "reindexed", valueInteger: step.resources },
        { name: "version", valueInteger: step.next ? await store.searchIndexVersion() : SEARCH_INDEX_VERSION },
        ...(step.next ? [{ name: "next", valueString: `${step.next.resourceType}/${step.next.id}` }] : []),
      ],
    });
  });
  return app;
}
