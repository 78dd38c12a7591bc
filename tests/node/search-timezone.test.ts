// Dates without a zone in a search (and stored dates without a time) are read in the server's zone, TFG_TIMEZONE.
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { dateRange } from "../../src/fhir/search-dates.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

/** India has kept +05:30 all year since 1945, so the expectations hold on any date. */
const ZONE = "Asia/Kolkata";
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), { TFG_TIMEZONE: ZONE });
});

/** The wall-clock time in Kolkata of instant `ms`, without a zone: `YYYY-MM-DDTHH:MM:SS`. */
const kolkataWall = (ms: number) => new Date(ms + 330 * 60_000).toISOString().slice(0, 19);

describe("server time zone", () => {
  it("reads a zone-less _lastUpdated in TFG_TIMEZONE, not UTC", async () => {
    const res = await t.fhir("/fhir/Patient", { method: "POST", json: { resourceType: "Patient", gender: "female" } });
    const p = (await res.json()) as { id: string; meta: { lastUpdated: string } };
    const at = Date.parse(p.meta.lastUpdated);
    const total = async (q: string) =>
      ((await (await t.fhir(`/fhir/Patient?_id=${p.id}&${q}`)).json()) as { total: number }).total;
    // An hour before the write, on Kolkata's clock; read as UTC it would be 4 h 30 min after it.
    const hourBefore = kolkataWall(at - 3_600_000);
    expect(await total(`_lastUpdated=gt${hourBefore}`)).toBe(1);
    expect(await total(`_lastUpdated=lt${hourBefore}`)).toBe(0);
    // With an explicit zone the server zone plays no part.
    expect(await total(`_lastUpdated=gt${new Date(at - 3_600_000).toISOString().slice(0, 19)}Z`)).toBe(1);
  });

  it("indexes and searches dates without a time in the same zone", async () => {
    const res = await t.fhir("/fhir/Patient", {
      method: "POST",
      json: { resourceType: "Patient", birthDate: "1980-05-12" },
    });
    const { id } = (await res.json()) as { id: string };
    const total = async (q: string) =>
      ((await (await t.fhir(`/fhir/Patient?_id=${id}&${q}`)).json()) as { total: number }).total;
    expect(await total("birthdate=1980-05-12")).toBe(1);
    expect(await total("birthdate=1980-05-11")).toBe(0);
    // 1980-05-12 in Kolkata began at 18:30 UTC the day before.
    expect(await total(`birthdate=${encodeURIComponent("ge1980-05-11T18:30:00Z")}`)).toBe(1);
    expect(await total(`birthdate=${encodeURIComponent("eq1980-05-11T18:00:00Z")}`)).toBe(0);
  });

  it("computes ranges in a zone, across daylight saving changes", () => {
    expect(dateRange("2026-03-29", "Europe/London")).toEqual({
      start: "2026-03-29T00:00:00.000Z",
      end: "2026-03-29T23:00:00.000Z",
    });
    expect(dateRange("2026-07-01T12:00", "Europe/London")).toEqual({
      start: "2026-07-01T11:00:00.000Z",
      end: "2026-07-01T11:01:00.000Z",
    });
    expect(dateRange("2026-07-01T12:00:00+02:00", "Europe/London")?.start).toBe("2026-07-01T10:00:00.000Z");
    expect(dateRange("2026", "UTC")).toEqual({ start: "2026-01-01T00:00:00.000Z", end: "2027-01-01T00:00:00.000Z" });
  });

  it("refuses an unknown TFG_TIMEZONE", () => {
    expect(() => parseConfig({ TFG_TIMEZONE: "Mars/Olympus" })).toThrow(/TFG_TIMEZONE/);
    expect(parseConfig({}).timeZone).toBe("UTC");
  });
});
