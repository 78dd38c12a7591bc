/** Who may read the console's report pages: the API's rule and audit (src/reports/access.ts), the same way. */
import type { Auditor } from "../audit/auditor.js";
import type { Actor } from "../auth/actor.js";
import { dayIn } from "../http/report-routes.js";
import { authoriseReport, type ReportKind } from "../reports/access.js";

/** Decides and audits `actor` reading `report` as the API does; throws 403 (after auditing the deny) when refused. */
export function requireReportReader(auditor: Auditor, actor: Actor, report: ReportKind): Promise<void> {
  return authoriseReport(auditor, actor, report);
}

/** "Today" as the reports take it: the day of `now` in the configured zone. */
export const reportDay = (now: Date, timeZone: string | undefined) => dayIn(now, timeZone ?? "UTC");
