/**
 * The completeness page (managers, safeguarding leads): per provider, team and episode type, how often parental
 * status is recorded, the young-carer question answered and the pregnancy question asked, as bars with their values
 * in text and in a table; then the open episodes whose parental status is not recorded. The same `completenessSummary`
 * and `notRecordedEpisodes` as `GET /reports/completeness`, with CSV downloads through the API's own routes.
 */
import type { Hono } from "hono";
import { auditReportRows, authoriseReport, reportDecision } from "../reports/access.js";
import {
  type CompletenessGroup,
  completenessSummary,
  type Measure,
  type NotRecordedRow,
  notRecordedEpisodes,
} from "../reports/completeness.js";
import { DEFAULT_COUNT, takePage } from "../reports/paging.js";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { Layout } from "./layout.js";
import { reportDay } from "./report-access.js";
import type { ConsoleSession } from "./session.js";

const percent = (m: Measure | null) =>
  m === null ? "not applicable" : m.share === null ? "no episodes" : `${Math.round(m.share * 100)}%`;

/** One bar: decorative (aria-hidden), since the row's text gives the value. */
function Bar(props: { m: Measure | null }) {
  const width = props.m?.share == null ? 0 : Math.round(props.m.share * 1000) / 10;
  return (
    <svg class="tfg-chart" aria-hidden="true" focusable="false" viewBox="0 0 100 6" preserveAspectRatio="none">
      <rect class="tfg-track" x="0" y="0" width="100" height="6" />
      <rect class="tfg-bar" x="0" y="0" width={String(width)} height="6" />
    </svg>
  );
}

const MEASURES: [string, (g: CompletenessGroup) => Measure | null][] = [
  ["Parental status recorded", (g) => g.parentalStatusRecorded],
  ["Young carer asked", (g) => g.youngCarerAsked],
  ["Pregnancy asked", (g) => g.pregnancyAsked],
];

function GroupChart(props: { g: CompletenessGroup; index: number }) {
  const { g } = props;
  const title = `${g.teamName ?? g.team ?? "No team"} (${g.provider}, ${g.episodeType}): ${g.episodes} open episode${g.episodes === 1 ? "" : "s"}`;
  return (
    <table class="nhsuk-table">
      <caption class="nhsuk-table__caption nhsuk-table__caption--s">{title}</caption>
      <thead class="nhsuk-table__head">
        <tr class="nhsuk-table__row">
          <th scope="col" class="nhsuk-table__header">
            Measure
          </th>
          <th scope="col" class="nhsuk-table__header">
            Recorded
          </th>
          <th scope="col" class="nhsuk-table__header">
            Share
          </th>
          <th scope="col" class="nhsuk-table__header">
            <span class="nhsuk-u-visually-hidden">Bar</span>
          </th>
        </tr>
      </thead>
      <tbody class="nhsuk-table__body">
        {MEASURES.map(([label, pick]) => {
          const m = pick(g);
          return (
            <tr class="nhsuk-table__row">
              <th scope="row" class="nhsuk-table__header">
                {label}
              </th>
              <td class="nhsuk-table__cell">{m ? `${m.numerator} of ${m.denominator}` : "Not asked in this source"}</td>
              <td class="nhsuk-table__cell">{percent(m)}</td>
              <td class="nhsuk-table__cell">
                <Bar m={m} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The page. */
export function CompletenessPage(props: {
  session: ConsoleSession;
  asOf: string;
  groups: CompletenessGroup[];
  total: { episodes: number; parentalStatusRecorded: Measure; notRecorded: number };
  notRecorded?: NotRecordedRow[] | undefined;
  more: boolean;
}) {
  return (
    <Layout title="Completeness" session={props.session} section="completeness">
      <h1 class="nhsuk-heading-l">Completeness</h1>
      <p>
        {props.session.user.org}, open episodes as of {props.asOf}: {props.total.episodes} in all; parental status
        recorded in {percent(props.total.parentalStatusRecorded)} ({props.total.parentalStatusRecorded.numerator} of{" "}
        {props.total.parentalStatusRecorded.denominator}); {props.total.notRecorded} not recorded.
      </p>
      <p>
        <a href="/console/reports/completeness?_format=csv" download="completeness.csv">
          Download the summary (CSV)
        </a>
      </p>
      <h2 class="nhsuk-heading-m">By team</h2>
      {props.groups.length === 0 ? <p>No open episodes.</p> : null}
      {props.groups.map((g, i) => (
        <GroupChart g={g} index={i} />
      ))}
      <h2 class="nhsuk-heading-m" id="not-recorded">
        Episodes with parental status not recorded
      </h2>
      {props.notRecorded === undefined ? (
        <p>Lists of people are not released under the statistics purpose of use.</p>
      ) : (
        <>
          <p>
            <a href="/console/reports/completeness/not-recorded?_format=csv" download="not-recorded.csv">
              Download the whole list (CSV)
            </a>
            {props.more ? ` (the first ${props.notRecorded.length} are shown here)` : ""}
          </p>
          <table class="nhsuk-table">
            <caption class="nhsuk-table__caption">Not recorded</caption>
            <thead class="nhsuk-table__head">
              <tr class="nhsuk-table__row">
                <th scope="col" class="nhsuk-table__header">
                  Local id
                </th>
                <th scope="col" class="nhsuk-table__header">
                  Episode
                </th>
                <th scope="col" class="nhsuk-table__header">
                  Team
                </th>
                <th scope="col" class="nhsuk-table__header">
                  Parental status
                </th>
              </tr>
            </thead>
            <tbody class="nhsuk-table__body">
              {props.notRecorded.map((r) => (
                <tr class="nhsuk-table__row">
                  <td class="nhsuk-table__cell">{r.localId ?? r.patient}</td>
                  <td class="nhsuk-table__cell">
                    {r.episodeType} {r.episodeId ?? ""}
                  </td>
                  <td class="nhsuk-table__cell">{r.teamName ?? r.team ?? "No team"}</td>
                  <td class="nhsuk-table__cell">
                    {r.parentalStatus === "absent" ? "Never sent" : "Sent as not recorded"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Layout>
  );
}

/** GET /console/completeness. */
export function completenessRoutes(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  app.get("/completeness", async (c) => {
    const actor = c.get("actor");
    await authoriseReport(deps, actor, "completeness");
    const today = reportDay(deps.clock(), deps.config.timeZone);
    c.get("logger").info({ report: "completeness", org: actor.org, format: "console" }, "report");
    const summary = await completenessSummary(deps.store, actor.org, today);
    // The list of people only where the protocol permits it (never under statistics): otherwise the counts alone.
    const personLevel =
      reportDecision(deps.policy, actor, "not-recorded", deps.clock().toISOString()).effect === "permit";
    const decision = personLevel ? await authoriseReport(deps, actor, "not-recorded") : undefined;
    const page = decision
      ? await takePage(notRecordedEpisodes(deps.store, actor.org, today), DEFAULT_COUNT)
      : undefined;
    if (page && decision) await auditReportRows(deps.auditor, actor, "not-recorded", decision, page.rows);
    return c.html(
      <CompletenessPage
        session={c.get("session")}
        asOf={today}
        groups={summary.groups}
        total={summary.total}
        notRecorded={page?.rows}
        more={page?.next !== undefined}
      />,
    );
  });
}
