/**
 * The review page's break-glass part (docs/CONSOLE.md): the break-glass reads awaiting review by the lead's
 * organisation (the same `reviewBreakGlass` as `GET /reports/break-glass`), each with an "appropriate" /
 * "inappropriate" form and an optional note, posting to `/console/reviews/break-glass/{taskId}/review`, which calls the
 * same `markBreakGlassReviewed` as `POST /reports/break-glass/{taskId}/review`. A reviewed read leaves the list.
 */
import type { Context, Hono } from "hono";
import { REVIEW_OUTCOMES } from "../audit/break-glass-review-task.js";
import type { BreakGlassEntry } from "../lookups/break-glass-queue.js";
import { markBreakGlassReviewed } from "../lookups/break-glass-review.js";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { CsrfField, SummaryList } from "./layout.js";

/** The button that records each outcome, the first the primary one. */
const OUTCOME_LABEL: Record<(typeof REVIEW_OUTCOMES)[number], string> = {
  appropriate: "Appropriate",
  inappropriate: "Inappropriate",
};

/** The break-glass reads awaiting review, each with its review form; `entries` undefined for a caller who may not review. */
export function BreakGlassSection(props: { entries?: BreakGlassEntry[] | undefined; csrf: string }) {
  const { entries } = props;
  return (
    <>
      <h2 class="nhsuk-heading-m">Break-glass reads awaiting review</h2>
      {entries === undefined ? (
        <p>Only a safeguarding lead may review break-glass reads.</p>
      ) : entries.length === 0 ? (
        <p>No break-glass reads are waiting for review.</p>
      ) : (
        <p>
          {entries.length} break-glass {entries.length === 1 ? "read" : "reads"} by your organisation's users. Record
          whether each was appropriate; a reviewed read leaves this list.
        </p>
      )}
      {(entries ?? []).map((e, i) => {
        const id = e.task.slice("Task/".length);
        const rows: [string, string][] = [
          ["When", e.recorded],
          ["Who", `${e.user.subject ?? "unknown"} (${e.role ?? "role not known"})`],
          ["Records", `${e.operation ? `${e.operation}: ` : ""}${e.entities.join(", ")}`],
          ["Access ends", `${e.expires ?? "not set"}${e.expired ? " (ended)" : ""}`],
        ];
        return (
          <div class="nhsuk-card">
            <div class="nhsuk-card__content">
              <h3 class="nhsuk-card__heading nhsuk-heading-s">Break-glass read {i + 1}</h3>
              <SummaryList rows={rows} />
              <form method="post" action={`/console/reviews/break-glass/${id}/review`}>
                <CsrfField token={props.csrf} />
                <div class="nhsuk-form-group">
                  <label class="nhsuk-label" for={`note-${i + 1}`}>
                    Note (optional)
                  </label>
                  <div class="nhsuk-hint" id={`note-${i + 1}-hint`}>
                    At most 1,000 characters. Do not repeat the stated reason or the person's details.
                  </div>
                  <textarea
                    class="nhsuk-textarea"
                    id={`note-${i + 1}`}
                    name="note"
                    rows={3}
                    maxlength={1000}
                    aria-describedby={`note-${i + 1}-hint`}
                  />
                </div>
                <div class="nhsuk-button-group">
                  {REVIEW_OUTCOMES.map((outcome, n) => (
                    <button
                      class={n === 0 ? "nhsuk-button" : "nhsuk-button nhsuk-button--secondary"}
                      type="submit"
                      name="outcome"
                      value={outcome}
                      aria-label={`Break-glass read ${i + 1} was ${outcome}`}
                    >
                      {OUTCOME_LABEL[outcome]}
                    </button>
                  ))}
                </div>
              </form>
            </div>
          </div>
        );
      })}
    </>
  );
}

/**
 * POST /console/reviews/break-glass/{id}/review: the form's outcome and note, reviewed by the session's actor through
 * `markBreakGlassReviewed` (its refusals are the console's error pages); then `show` renders the page with `message`.
 */
export function breakGlassReviewRoute(
  app: Hono<ConsoleEnv>,
  deps: ConsoleDeps,
  show: (c: Context<ConsoleEnv>, message: string) => Promise<Response>,
): void {
  app.post("/reviews/break-glass/:id/review", async (c) => {
    const form = c.get("form");
    const outcome = form.get("outcome");
    const note = form.get("note");
    const body = {
      ...(typeof outcome === "string" ? { outcome } : {}),
      ...(typeof note === "string" && note.trim() !== "" ? { note } : {}),
    };
    const { entry } = await markBreakGlassReviewed(deps, c.get("actor"), c.req.param("id"), body);
    return show(c, `Recorded: the break-glass read was ${entry.reviewed?.outcome ?? "reviewed"}.`);
  });
}
