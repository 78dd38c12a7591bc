// Scheduled returns: the last complete period (financial quarters and years from April) and the derived job id.
import { describe, expect, it } from "vitest";
import {
  lastCompletePeriod,
  parseSchedule,
  scheduledJobId,
  scheduledRequest,
} from "../../src/returns/jobs/schedule.js";

describe("last complete period", () => {
  it.each([
    ["month", "2026-03-15", "2026-02-01", "2026-02-28"],
    ["month", "2026-01-01", "2025-12-01", "2025-12-31"],
    ["quarter", "2026-07-01", "2026-04-01", "2026-06-30"],
    ["quarter", "2026-06-30", "2026-01-01", "2026-03-31"],
    ["quarter", "2026-02-10", "2025-10-01", "2025-12-31"],
    ["quarter", "2026-12-31", "2026-07-01", "2026-09-30"],
    ["year", "2026-04-01", "2025-04-01", "2026-03-31"],
    ["year", "2026-03-31", "2024-04-01", "2025-03-31"],
  ] as const)("%s before %s is %s to %s", (every, today, start, end) => {
    expect(lastCompletePeriod(every, today)).toEqual({ start, end });
  });
});

describe("scheduled jobs", () => {
  const entry = { kind: "cin-census", org: "LA1", orgType: "la-childrens-services", every: "year" } as const;

  it("asks for the census year the period ends in, scoped to the LA", () => {
    expect(scheduledRequest(entry, "2026-05-01")).toEqual({
      kind: "cin-census",
      period: { start: "2025-04-01", end: "2026-03-31" },
      scope: { la: "LA1", year: 2026 },
    });
  });

  it("derives the same id for the same period on any day of the next one, and another for the next period", async () => {
    const a = await scheduledJobId(entry, scheduledRequest(entry, "2026-04-01"));
    const b = await scheduledJobId(entry, scheduledRequest(entry, "2027-03-31"));
    const c = await scheduledJobId(entry, scheduledRequest(entry, "2027-04-01"));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(a).toMatch(/^sched-[0-9a-f]{32}$/);
  });

  it("refuses a malformed schedule, naming the variable", () => {
    expect(parseSchedule('[{"kind":"nope"}]').problems[0]).toContain("TFG_RETURN_SCHEDULE");
    expect(parseSchedule(undefined)).toEqual({ entries: [], problems: [] });
  });
});
