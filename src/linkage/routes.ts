/**
 * Review routes under /linkage (role `safeguarding-lead`, or `system`):
 *   POST /linkage/tasks/:id/accept — link the two records of a possible match;
 *   POST /linkage/tasks/:id/reject — record that they are different people (never linked automatically);
 *   POST /linkage/unlink?patient=Patient/ID — undo a record's links to the rest of its Person (recorded as rejected pairs).
 * Each answers a Parameters resource naming the decided Tasks and every derived resource rewritten. The caller must
 * be allowed to read the Task (or, to unlink, the Patient) through the resource service, decided by the sharing
 * protocol (rule `match-review`: the lead of an organisation that made one of the two records) and audited: else 404.
 * The review queue itself is `GET /fhir/Task?code=possible-match&status=requested`.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { badRequest, forbidden } from "../fhir/errors.js";
import type { ResourceService } from "../fhir/resource-service.js";
import type { AppEnv } from "../http/context.js";
import { fhirJson } from "../http/fhir-response.js";
import { type DecisionResult, decideTask, type ReviewDeps, undoLink } from "./review.js";

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

const answer = (r: DecisionResult) =>
  fhirJson({
    resourceType: "Parameters",
    parameter: [
      ...r.decided.map((k) => ({ name: "decided", valueReference: { reference: k } })),
      ...r.written.map((k) => ({ name: "written", valueReference: { reference: k } })),
    ],
  });

/** The /linkage router; `service` decides (and audits) whether the caller may see what it decides on. */
export function linkageRoutes(
  deps: ReviewDeps,
  auth: MiddlewareHandler<AppEnv>,
  service: ResourceService,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  app.use("*", auth);
  app.use("*", async (c, next) => {
    const role = c.get("actor").role;
    if (role !== "safeguarding-lead" && role !== "system")
      throw forbidden("Only a safeguarding lead (or a system token) may decide person links");
    await next();
  });
  for (const [verb, status] of [
    ["accept", "completed"],
    ["reject", "rejected"],
  ] as const) {
    app.post(`/tasks/:id/${verb}`, async (c) => {
      const id = c.req.param("id");
      if (!ID.test(id)) throw badRequest("The Task id is not a FHIR id", ["id"]);
      await service.as(c.get("actor")).read("Task", id);
      return answer(await decideTask(deps, id, status));
    });
  }
  app.post("/unlink", async (c) => {
    const patient = c.req.query("patient") ?? "";
    const m = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(patient);
    if (!m) throw badRequest("patient must be Patient/ID", ["patient"]);
    await service.as(c.get("actor")).read("Patient", m[1] as string);
    return answer(await undoLink(deps, patient));
  });
  return app;
}
