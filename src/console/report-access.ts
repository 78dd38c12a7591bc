/** Who may read the console's report pages: the API's rule (src/http/report-routes.ts REPORT_ROLES), checked the same way. */
import type { Actor } from "../auth/actor.js";
import { forbidden } from "../fhir/errors.js";
import { dayIn, REPORT_ROLES } from "../http/report-routes.js";

/** Throws 403 unless the actor may read reports (person-level lists not under `statistics`), as the API does. */
export function requireReportReader(actor: Actor, personLevel: boolean): void {
  if (!REPORT_ROLES.includes(actor.role))
    throw forbidden("Reports are for managers, safeguarding leads and systems of the organisation", ["role"]);
  if (personLevel && actor.purposeOfUse === "statistics")
    throw forbidden("Under the statistics purpose only aggregates are released, not lists of people", [
      "purpose_of_use",
    ]);
}

/** "Today" as the reports take it: the day of `now` in the configured zone. */
export const reportDay = (now: Date, timeZone: string | undefined) => dayIn(now, timeZone ?? "UTC");
