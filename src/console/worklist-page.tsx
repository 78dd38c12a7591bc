/**
 * The worklist page (managers, safeguarding leads): the organisation's open CPA and treatment episodes whose patient
 * has a children flag, a page at a time, from the same `worklistRows` and page cutter as `GET /reports/worklist`,
 * with a CSV download of the whole list through the API's own route (mounted under /console/reports).
 */
import type { Hono } from "hono";
import { badRequest } from "../fhir/errors.js";
import { auditReportRows, authoriseReport } from "../reports/access.js";
import { DEFAULT_COUNT, decodeReportCursor, encodeReportCursor, takePage } from "../reports/paging.js";
import { type WorklistRow, worklistRows } from "../reports/worklist.js";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { Layout } from "./layout.js";
import { reportDay } from "./report-access.js";
import type { ConsoleSession } from "./session.js";

const FLAG_TEXT: Record<string, string> = {
  "household-has-children": "Household has children",
  "children-status-not-recorded": "Children status not recorded",
  "parent-children-elsewhere": "Parent, children living elsewhere",
  pregnant: "Pregnant",
  "child-protection-plan": "Child protection plan in household",
};

/** The page. */
export function WorklistPage(props: { session: ConsoleSession; rows: WorklistRow[]; asOf: string; next?: string }) {
  return (
    <Layout title="Worklist" session={props.session} section="worklist">
      <h1 class="nhsuk-heading-l">Worklist</h1>
      <p>
        Open episodes of {props.session.user.org} whose patient has a children flag, newest first, as of {props.asOf}.
      </p>
      <p>
        <a href="/console/reports/worklist?_format=csv" download="worklist.csv">
          Download the whole worklist (CSV)
        </a>
      </p>
      {props.rows.length === 0 ? (
        <p>No open episodes have a children flag.</p>
      ) : (
        <table class="nhsuk-table">
          <caption class="nhsuk-table__caption">
            {props.rows.length} episode{props.rows.length === 1 ? "" : "s"} on this page
          </caption>
          <thead class="nhsuk-table__head">
            <tr class="nhsuk-table__row">
              <th scope="col" class="nhsuk-table__header">
                Local id
              </th>
              <th scope="col" class="nhsuk-table__header">
                Episode
              </th>
              <th scope="col" class="nhsuk-table__header">
                Started
              </th>
              <th scope="col" class="nhsuk-table__header">
                Team
              </th>
              <th scope="col" class="nhsuk-table__header">
                Children flags
              </th>
            </tr>
          </thead>
          <tbody class="nhsuk-table__body">
            {props.rows.map((r) => (
              <tr class="nhsuk-table__row">
                <td class="nhsuk-table__cell">
                  <a href={`/console/family?patient=${encodeURIComponent(r.patient)}`}>{r.localId ?? r.patient}</a>
                </td>
                <td class="nhsuk-table__cell">
                  {r.episodeType} {r.episodeId ?? ""}
                </td>
                <td class="nhsuk-table__cell">{r.start ?? "Not known"}</td>
                <td class="nhsuk-table__cell">{r.teamName ?? r.team ?? "No team"}</td>
                <td class="nhsuk-table__cell">
                  <ul class="nhsuk-list">
                    {r.flags.map((f) => (
                      <li>
                        <strong class="nhsuk-tag nhsuk-tag--blue">{FLAG_TEXT[f.code] ?? f.code}</strong>
                        {f.start ? ` since ${f.start}` : ""}
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.next ? (
        <nav class="nhsuk-pagination" aria-label="Pagination">
          <ul class="nhsuk-list nhsuk-pagination__list">
            <li class="nhsuk-pagination-item--next">
              <a class="nhsuk-pagination__link nhsuk-pagination__link--next" href={props.next}>
                <span class="nhsuk-pagination__title">Next page</span>
              </a>
            </li>
          </ul>
        </nav>
      ) : null}
    </Layout>
  );
}

/** GET /console/worklist[?cursor=…]. */
export function worklistRoutes(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  app.get("/worklist", async (c) => {
    const actor = c.get("actor");
    const decision = await authoriseReport(deps, actor, "worklist");
    const cursor = c.req.query("cursor");
    if (cursor !== undefined && cursor.length > 512) throw badRequest("The page link is not valid", ["cursor"]);
    const after = cursor === undefined ? undefined : decodeReportCursor(cursor, "worklist");
    const today = reportDay(deps.clock(), deps.config.timeZone);
    c.get("logger").info({ report: "worklist", org: actor.org, format: "console" }, "report");
    const page = await takePage(worklistRows(deps.store, actor.org, today, after), DEFAULT_COUNT);
    await auditReportRows(deps.auditor, actor, "worklist", decision, page.rows);
    const next = page.next
      ? `/console/worklist?cursor=${encodeURIComponent(encodeReportCursor("worklist", page.next))}`
      : undefined;
    return c.html(
      <WorklistPage session={c.get("session")} rows={page.rows} asOf={today} {...(next ? { next } : {})} />,
    );
  });
}
