// Date search against the R4 rules (http://hl7.org/fhir/R4/search.html#date and #prefix), as a property: every
// prefix, at every precision (year, month, day, minute, second, millisecond), with and without a zone, on a date
// parameter over dateTimes and (half-)open Periods and on _lastUpdated, in two server zones. The expected matches come
// from a reference written from the spec's set definitions, not from the gateway's code.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp } from "../support/test-app.js";

// ---- The reference, from the spec -------------------------------------------------------------------------------

type Range = [number, number]; // [start, end) in ms since the epoch; ±Infinity for an open end

/** Milliseconds for UTC wall-clock fields; any year 1–9999 (Date.UTC would read 0–99 as 1900–1999). */
function wall(y: number, mo = 0, d = 1, h = 0, mi = 0, s = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/**
 * "The range of the search value": a date, dateTime or instant is the whole interval its precision implies
 * (R4 search §date). Without a zone it is read at the server's fixed offset, `zoneMinutes` east of UTC.
 */
function specRange(text: string, zoneMinutes: number): Range {
  const m =
    /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{3}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(
      text,
    );
  if (!m) throw new Error(`not a date: ${text}`);
  const [, y, mo, d, h, mi, s, ms, tz] = m;
  const Y = Number(y);
  let start: number;
  let end: number;
  if (h !== undefined) {
    start = wall(Y, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), Number(ms ?? 0));
    end = start + (ms !== undefined ? 1 : s !== undefined ? 1000 : 60_000);
  } else if (d !== undefined) {
    start = wall(Y, Number(mo) - 1, Number(d));
    end = wall(Y, Number(mo) - 1, Number(d) + 1);
  } else if (mo !== undefined) {
    start = wall(Y, Number(mo) - 1);
    end = wall(Y, Number(mo));
  } else {
    start = wall(Y);
    end = wall(Y + 1);
  }
  const offset =
    tz === undefined
      ? zoneMinutes
      : tz === "Z"
        ? 0
        : (tz[0] === "-" ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4)));
  return [start - offset * 60_000, end - offset * 60_000];
}

const overlaps = (a: Range, b: Range) => a[0] < b[1] && b[0] < a[1];
const contains = (outer: Range, inner: Range) => outer[0] <= inner[0] && inner[1] <= outer[1];
const PREFIXES = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"] as const;
type Prefix = (typeof PREFIXES)[number];

/** R4 §prefix, word for word: `search` the range of the search value, `target` the resource value's range. */
function specMatches(prefix: Prefix, search: Range, target: Range, now: number): boolean {
  const above: Range = [search[1], Number.POSITIVE_INFINITY];
  const below: Range = [Number.NEGATIVE_INFINITY, search[0]];
  switch (prefix) {
    case "eq": // the range of the search value fully contains the range of the target value
      return contains(search, target);
    case "ne": // the range of the search value does not fully contain the range of the target value
      return !contains(search, target);
    case "gt": // the range above the search value intersects (i.e. overlaps) with the range of the target value
      return overlaps(above, target);
    case "lt": // the range below the search value intersects (i.e. overlaps) with the range of the target value
      return overlaps(below, target);
    case "ge": // the range above the search value intersects the target, or the search value fully contains it
      return overlaps(above, target) || contains(search, target);
    case "le": // the range below the search value intersects the target, or the search value fully contains it
      return overlaps(below, target) || contains(search, target);
    case "sa": // does not overlap the target, and the range above the search value contains the target
      return !overlaps(search, target) && contains(above, target);
    case "eb": // does not overlap the target, and the range below the search value contains the target
      return !overlaps(search, target) && contains(below, target);
    case "ap": {
      // "approximately the same": the spec recommends 10% of the gap between now and the value; this server
      // widens the search range by that on each side, and then the ranges must overlap.
      const gap = Math.max(Math.abs(now - search[0]), Math.abs(now - search[1]));
      const margin = Math.max(Math.round(gap * 0.1), search[1] - search[0] > 0 ? 0 : 1);
      return overlaps([search[0] - margin, search[1] + margin], target);
    }
  }
}

// ---- Generators ---------------------------------------------------------------------------------------------------

const two = (n: number) => String(n).padStart(2, "0");
const zone = fc.oneof(
  fc.constant("Z"),
  fc
    .tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 14 }), fc.constantFrom(0, 30, 45))
    .map(([s, h, m]) => `${s}${two(h)}:${two(h === 14 ? 0 : m)}`),
);
/**
 * A FHIR date/dateTime of a random precision; `zoned` says whether a value with a time carries a zone; `edges` adds
 * the first and last years of the calendar (search values only: the validator mis-orders a Period starting in 0001).
 */
const fhirDate = (zoned: "always" | "maybe", edges = false) =>
  fc
    .record({
      y: edges
        ? fc.oneof(
            fc.integer({ min: 1960, max: 2040 }),
            fc.integer({ min: 1001, max: 2998 }),
            fc.constantFrom(1, 2, 9998, 9999),
          )
        : fc.oneof(fc.integer({ min: 1960, max: 2040 }), fc.integer({ min: 1001, max: 2998 })),
      mo: fc.integer({ min: 1, max: 12 }),
      d: fc.integer({ min: 1, max: 31 }),
      h: fc.integer({ min: 0, max: 23 }),
      mi: fc.integer({ min: 0, max: 59 }),
      s: fc.integer({ min: 0, max: 59 }),
      ms: fc.integer({ min: 0, max: 999 }),
      // Fields after this one are their first value (month 1, day 1, 00:00:00.000): a value that starts where a
      // coarser one does shares its ends, which is where an off-by-one in a comparison shows.
      align: fc.integer({ min: 0, max: 6 }),
      precision: fc.constantFrom("year", "month", "day", "minute", "second", "millisecond"),
      tz: zoned === "always" ? zone : fc.option(zone, { nil: undefined }),
    })
    .map((f) => {
      const a = f.align;
      const [mo, d, h, mi, s, ms] = [
        a < 1 ? 1 : f.mo,
        a < 2 ? 1 : f.d,
        a < 3 ? 0 : f.h,
        a < 4 ? 0 : f.mi,
        a < 5 ? 0 : f.s,
        a < 6 ? 0 : f.ms,
      ] as [number, number, number, number, number, number];
      const { y, precision, tz } = f;
      const day = Math.min(d, new Date(Date.UTC(2001, mo, 0)).getUTCDate()); // never an impossible day
      const date = `${String(y).padStart(4, "0")}${precision === "year" ? "" : `-${two(mo)}`}${["year", "month"].includes(precision) ? "" : `-${two(day)}`}`;
      if (["year", "month", "day"].includes(precision)) return date;
      const time = `T${two(h)}:${two(mi)}${precision === "minute" ? "" : `:${two(s)}`}${precision === "millisecond" ? `.${String(ms).padStart(3, "0")}` : ""}`;
      // A FHIR dateTime with a time has seconds; search values may stop at minutes.
      return `${date}${zoned === "always" && precision === "minute" ? `${time}:00` : time}${tz ?? ""}`;
    });

interface Stored {
  effective: { effectiveDateTime: string } | { effectivePeriod: { start?: string; end?: string } };
  lastUpdated: number;
}
const stored: fc.Arbitrary<Stored> = fc.record({
  effective: fc.oneof(
    fhirDate("always").map((v) => ({ effectiveDateTime: v })),
    fc
      .record({
        start: fc.option(fhirDate("always"), { nil: undefined }),
        end: fc.option(fhirDate("always"), { nil: undefined }),
      })
      .filter((p) => p.start !== undefined || p.end !== undefined)
      // per-1: start before end (with a day to spare, whatever the zones).
      .filter((p) => !p.start || !p.end || specRange(p.start, 0)[1] + 86_400_000 < specRange(p.end, 0)[0])
      .map((p) => ({ effectivePeriod: { ...(p.start ? { start: p.start } : {}), ...(p.end ? { end: p.end } : {}) } })),
  ),
  lastUpdated: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
});

function targetRange(s: Stored, zoneMinutes: number): Range {
  if ("effectiveDateTime" in s.effective) return specRange(s.effective.effectiveDateTime, zoneMinutes);
  const { start, end } = s.effective.effectivePeriod;
  return [
    start ? specRange(start, zoneMinutes)[0] : Number.NEGATIVE_INFINITY,
    end ? specRange(end, zoneMinutes)[1] : Number.POSITIVE_INFINITY,
  ];
}

// ---- The property ---------------------------------------------------------------------------------------------------

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

describe.each([
  ["UTC", 0],
  ["Etc/GMT+3", -180], // POSIX sign: three hours west of UTC, all year
  ["Asia/Kathmandu", 345], // +05:45 all year since 1986 (the generated dates without a zone avoid earlier years)
])("date search in server zone %s", (zoneName, zoneMinutes) => {
  it("every prefix at every precision, with and without a zone, matches exactly what R4 says", async () => {
    let clock = NOW;
    const t = await createTestApp(
      await openSqliteStore(":memory:", loadMigrations()),
      { TFG_TIMEZONE: zoneName },
      { clock: () => new Date(clock) },
    );
    // Kathmandu was +05:30 before 1986: keep unzoned values (stored and searched) in the years of one offset.
    const unzonedOk = (v: string) =>
      zoneName !== "Asia/Kathmandu" || /[Z+-]\d{0,2}:?\d{0,2}$/.test(v.slice(10)) || Number(v.slice(0, 4)) >= 1987;
    const dataset = fc.sample(stored, { numRuns: 60, seed: 8 }).filter(
      (s) =>
        JSON.stringify(s.effective)
          .match(/"(\d{4}[^"]*)"/g)
          ?.every((q) => unzonedOk(q.slice(1, -1))) ?? true,
    );
    const ids = new Map<string, Stored>();
    for (const s of dataset) {
      clock = s.lastUpdated;
      const res = await t.fhir("/fhir/Observation", {
        method: "POST",
        json: { resourceType: "Observation", status: "final", code: { text: "x" }, ...s.effective },
      });
      if (res.status !== 201) throw new Error(`${JSON.stringify(s.effective)}: ${await res.text()}`);
      ids.set(((await res.json()) as { id: string }).id, s);
    }
    clock = NOW;
    const found = async (query: string) => {
      const res = await t.fhir(`/fhir/Observation?${query}&_count=500&_elements=status`);
      expect(res.status).toBe(200);
      const bundle = (await res.json()) as { entry?: { resource: { id: string } }[] };
      return new Set((bundle.entry ?? []).map((e) => e.resource.id));
    };

    // Search values cut from the stored values and instants (shorter precision, zone kept or dropped), so search
    // and target ranges share ends: where an off-by-one in a comparison would show.
    const stems = [...ids.values()].flatMap((s) => [
      ...(JSON.stringify(s.effective).match(/\d{4}[^"]*/g) ?? []),
      new Date(s.lastUpdated).toISOString(),
    ]);
    const nearStored = fc
      .tuple(fc.constantFrom(...stems), fc.constantFrom(4, 7, 10, 16, 19, 23), fc.boolean())
      .map(([v, cut, keepZone]) => {
        const zoneAt = v.slice(10).search(/[Z+-]/);
        const tz = zoneAt < 0 ? "" : v.slice(10 + zoneAt);
        const body = zoneAt < 0 ? v : v.slice(0, 10 + zoneAt);
        const short = body.slice(0, Math.min(cut, body.length));
        return short.length > 10 && keepZone ? `${short}${tz}` : short;
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fhirDate("maybe", true), nearStored).filter(unzonedOk), async (value) => {
        const search = specRange(value, zoneMinutes);
        for (const param of ["date", "_lastUpdated"]) {
          for (const prefix of PREFIXES) {
            const expected = new Set(
              [...ids]
                .filter(([, s]) => {
                  const target: Range =
                    param === "date" ? targetRange(s, zoneMinutes) : [s.lastUpdated, s.lastUpdated + 1];
                  return specMatches(prefix, search, target, NOW);
                })
                .map(([id]) => id),
            );
            const query = `${param}=${prefix}${encodeURIComponent(value)}`;
            expect([query, await found(query)]).toEqual([query, expected]);
          }
        }
      }),
      { numRuns: 120 },
    );
  }, 120_000);
});

describe("the ends of the calendar", () => {
  it("le9999, lt9999, ge0001 and gt0001 find everything; gt9999 and lt0001 only what has no end or no start", async () => {
    const t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()));
    for (const effective of [
      { effectiveDateTime: "2026-01-02T03:04:05Z" },
      { effectivePeriod: { start: "2020-01-01" } },
      { effectivePeriod: { end: "2030-01-01" } },
    ]) {
      const res = await t.fhir("/fhir/Observation", {
        method: "POST",
        json: { resourceType: "Observation", status: "final", code: { text: "x" }, ...effective },
      });
      expect(res.status).toBe(201);
    }
    const total = async (q: string) =>
      ((await (await t.fhir(`/fhir/Observation?${q}`)).json()) as { total: number }).total;
    for (const q of [
      "_lastUpdated=le9999",
      "_lastUpdated=lt9999",
      "_lastUpdated=ge0001",
      "_lastUpdated=gt0001",
      "date=le9999",
      "date=lt9999",
      "date=ge0001",
      "date=le9999-12-31T23:59:59.999Z",
    ]) {
      expect([q, await total(q)]).toEqual([q, 3]);
    }
    expect(await total("_lastUpdated=gt9999")).toBe(0);
    expect(await total("_lastUpdated=lt0001")).toBe(0);
    expect(await total("date=eq9999")).toBe(0);
    // The open-ended Periods reach into the range above 9999 and below 0001 (R4: gt/lt intersect those ranges).
    expect(await total("date=gt9999")).toBe(1);
    expect(await total("date=ge9999-12-31")).toBe(1);
    expect(await total("date=lt0001")).toBe(1);
  });
});
