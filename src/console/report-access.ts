/** "Today" as the console's report pages take it (their access is the API's: src/reports/access.ts). */
import { dayIn } from "../http/report-routes.js";

/** "Today" as the reports take it: the day of `now` in the configured zone. */
export const reportDay = (now: Date, timeZone: string | undefined) => dayIn(now, timeZone ?? "UTC");
