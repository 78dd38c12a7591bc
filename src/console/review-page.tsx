/**
 * The review queues (safeguarding leads): possible matches from the person index, with the evidence per field and
 * accept / reject (the same `decideTask` as `POST /linkage/tasks/{id}/accept|reject`, the same role rule), read
 * through the /fhir resource service (`Task?code=possible-match&status=requested`, decided and audited as that
 * search is); and the break-glass reads awaiting review, each with its review form (break-glass-review-section.tsx).
 */
import type { Context, Hono } from "hono";
import { badRequest, forbidden } from "../fhir/errors.js";
import { reviewBreakGlass } from "../http/break-glass-routes.js";
import { decideTask } from "../linkage/review.js";
import type { BreakGlassEntry } from "../lookups/break-glass-queue.js";
import type { StoredVersion } from "../store/port.js";
import { BreakGlassSection, breakGlassReviewRoute } from "./break-glass-review-section.js";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { CsrfField, Layout } from "./layout.js";
import type { ConsoleSession } from "./session.js";

type Json = Record<string, unknown>;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The roles that may decide person links (src/linkage/routes.ts). */
const DECIDERS = new Set(["safeguarding-lead", "system"]);

const resourceOf = (v: StoredVersion): Json =>
  (v.resource as Json | undefined) ??
  (JSON.parse(typeof v.json === "string" ? v.json : new TextDecoder().decode(v.json)) as Json);

/** A possible match as the page shows it. */
interface Match {
  id: string;
  a: string;
  b: string;
  evidence: { field: string; value: string }[];
}

function matchOf(task: Json): Match {
  const input =
    (task.input as { type?: { coding?: { code?: string }[] }; valueString?: string; valueDecimal?: number }[]) ?? [];
  return {
    id: String(task.id),
    a: (task.for as { reference?: string } | undefined)?.reference ?? "",
    b: (task.focus as { reference?: string } | undefined)?.reference ?? "",
    evidence: input.map((i) => ({
      field: i.type?.coding?.[0]?.code ?? "field",
      value: i.valueString ?? (i.valueDecimal !== undefined ? String(i.valueDecimal) : ""),
    })),
  };
}

/** The page. */
export function ReviewPage(props: {
  session: ConsoleSession;
  matches: Match[];
  breakGlass?: BreakGlassEntry[] | undefined;
  decided?: string | undefined;
}) {
  return (
    <Layout title="Review queues" session={props.session} section="reviews">
      <h1 class="nhsuk-heading-l">Review queues</h1>
      {props.decided ? (
        <div class="nhsuk-inset-text" role="status">
          <p>{props.decided}</p>
        </div>
      ) : null}
      <h2 class="nhsuk-heading-m">Possible matches</h2>
      <p>Two records that may be the same person. The evidence gives each field's agreement and its weight.</p>
      {props.matches.length === 0 ? <p>No possible matches are waiting for review.</p> : null}
      {props.matches.map((m, i) => (
        <div class="nhsuk-card">
          <div class="nhsuk-card__content">
            <h3 class="nhsuk-card__heading nhsuk-heading-s">
              Possible match {i + 1}: {m.a} and {m.b}
            </h3>
            <table class="nhsuk-table">
              <caption class="nhsuk-table__caption nhsuk-table__caption--s">Evidence per field</caption>
              <thead class="nhsuk-table__head">
                <tr class="nhsuk-table__row">
                  <th scope="col" class="nhsuk-table__header">
                    Field
                  </th>
                  <th scope="col" class="nhsuk-table__header">
                    Agreement (weight)
                  </th>
                </tr>
              </thead>
              <tbody class="nhsuk-table__body">
                {m.evidence.map((e) => (
                  <tr class="nhsuk-table__row">
                    <td class="nhsuk-table__cell">{e.field}</td>
                    <td class="nhsuk-table__cell">{e.value}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div class="nhsuk-button-group">
              <form method="post" action={`/console/reviews/tasks/${m.id}/accept`}>
                <CsrfField token={props.session.csrf} />
                <button class="nhsuk-button" type="submit" aria-label={`Accept possible match ${i + 1}: same person`}>
                  Accept: same person
                </button>
              </form>
              <form method="post" action={`/console/reviews/tasks/${m.id}/reject`}>
                <CsrfField token={props.session.csrf} />
                <button
                  class="nhsuk-button nhsuk-button--secondary"
                  type="submit"
                  aria-label={`Reject possible match ${i + 1}: different people`}
                >
                  Reject: different people
                </button>
              </form>
            </div>
          </div>
        </div>
      ))}
      <BreakGlassSection entries={props.breakGlass} csrf={props.session.csrf} />
    </Layout>
  );
}

/** GET /console/reviews; POST /console/reviews/tasks/{id}/accept|reject and /console/reviews/break-glass/{id}/review. */
export function reviewRoutes(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const show = async (c: Context<ConsoleEnv>, decided?: string) => {
    const actor = c.get("actor");
    if (!DECIDERS.has(actor.role))
      throw forbidden("Only a safeguarding lead (or a system) may work the review queues", ["role"]);
    const found = await deps.service.as(actor).search("Task", [
      ["code", "possible-match"],
      ["status", "requested"],
      ["_count", "50"],
    ]);
    const matches = found.page.versions.map((v) => matchOf(resourceOf(v)));
    const breakGlass = actor.role === "safeguarding-lead" ? (await reviewBreakGlass(deps, actor)).entries : undefined;
    return c.html(
      <ReviewPage session={c.get("session")} matches={matches} breakGlass={breakGlass} decided={decided} />,
    );
  };
  app.get("/reviews", (c) => show(c));
  breakGlassReviewRoute(app, deps, show);
  for (const [verb, status] of [
    ["accept", "completed"],
    ["reject", "rejected"],
  ] as const) {
    app.post(`/reviews/tasks/:id/${verb}`, async (c) => {
      if (!DECIDERS.has(c.get("actor").role))
        throw forbidden("Only a safeguarding lead (or a system token) may decide person links");
      const id = c.req.param("id");
      if (!ID.test(id)) throw badRequest("The Task id is not a FHIR id", ["id"]);
      await deps.service.as(c.get("actor")).read("Task", id); // the same permit as the queue (404 when not)
      const result = await decideTask({ store: deps.store, clock: deps.clock }, id, status);
      return show(
        c,
        `${verb === "accept" ? "Accepted: the records are linked" : "Rejected: the records will not be linked"} (${result.written.length} derived records updated).`,
      );
    });
  }
}
