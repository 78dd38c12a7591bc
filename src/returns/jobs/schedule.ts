/**
 * Scheduled returns (TFG_RETURN_SCHEDULE; docs/RETURNS.md): each entry names a kind, the organisation it is built for
 * and how often (month, quarter or year ending 31 March). A pass (the Worker's Cron Trigger, or `tfg returns
 * scheduled`) starts the job for the last complete period of each entry, under an id derived from what it covers, so
 * a pass run every minute starts each period's job once.
 */
import { z } from "zod";
import type { Actor } from "../../auth/actor.js";
import { ORG_TYPES } from "../../auth/actor.js";
import { RETURN_KINDS, type ReturnPeriod, type ReturnRequest } from "../port.js";

/** One scheduled return. */
export const scheduleEntry = z
  .object({
    kind: z.enum(RETURN_KINDS),
    org: z.string().regex(/^[A-Za-z0-9]{1,16}$/),
    orgType: z.enum(ORG_TYPES),
    every: z.enum(["month", "quarter", "year"]),
  })
  .strict();

/** A scheduled return. */
export type ScheduleEntry = z.infer<typeof scheduleEntry>;

/** Parses TFG_RETURN_SCHEDULE (a JSON array); problems name the variable. */
export function parseSchedule(raw: string | undefined): { entries: ScheduleEntry[]; problems: string[] } {
  if (!raw) return { entries: [], problems: [] };
  try {
    return { entries: z.array(scheduleEntry).parse(JSON.parse(raw)), problems: [] };
  } catch {
    return {
      entries: [],
      problems: [
        'TFG_RETURN_SCHEDULE: must be JSON like [{"kind":"mh-children","org":"RX4","orgType":"mh-trust","every":"quarter"}]',
      ],
    };
  }
}

const iso = (y: number, m: number, d: number) => new Date(Date.UTC(y, m, d)).toISOString().slice(0, 10);

/** The last complete period of `every` before `today` (`YYYY-MM-DD`); quarters and years are financial (April). */
export function lastCompletePeriod(every: ScheduleEntry["every"], today: string): ReturnPeriod {
  const [y, m] = today.split("-").map(Number) as [number, number];
  const month = m - 1;
  if (every === "month") return { start: iso(y, month - 1, 1), end: iso(y, month, 0) };
  if (every === "quarter") {
    // Financial quarters start in April, July, October and January.
    const startOfThis = month - ((month + 9) % 3);
    return { start: iso(y, startOfThis - 3, 1), end: iso(y, startOfThis, 0) };
  }
  const fyStartYear = month >= 3 ? y : y - 1;
  return { start: iso(fyStartYear - 1, 3, 1), end: iso(fyStartYear, 3, 0) };
}

/** The request an entry makes for its last complete period; a CIN census also names its collection year. */
export function scheduledRequest(entry: ScheduleEntry, today: string): ReturnRequest {
  const period = lastCompletePeriod(entry.every, today);
  const field =
    entry.orgType === "la-childrens-services" || entry.orgType === "safeguarding-partnership" ? "la" : "org";
  const scope: ReturnRequest["scope"] = { [field]: entry.org };
  if (entry.kind === "cin-census" || entry.kind === "cin-census-analytic") scope.year = Number(period.end.slice(0, 4));
  return { kind: entry.kind, period, scope };
}

/** The id of a scheduled job: the same for the same kind, organisation and period, whenever the pass runs. */
export async function scheduledJobId(entry: ScheduleEntry, request: ReturnRequest): Promise<string> {
  const text = JSON.stringify([entry.kind, entry.org, request.period.start, request.period.end]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `sched-${[...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The actor a scheduled build runs as: the organisation's system, for statistics. */
export function schedulerActor(entry: ScheduleEntry): Actor {
  return {
    subject: "urn:think-family-gateway:return-scheduler",
    issuer: "urn:think-family-gateway:scheduler",
    org: entry.org,
    orgType: entry.orgType,
    role: "system",
    purposeOfUse: "statistics",
    tokenId: { kind: "cli-run", value: "return-scheduler" },
  };
}
