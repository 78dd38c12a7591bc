// Property tests for the search parsers: date ranges, string normalisation, prefix bounds, escaped values, cursors.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../src/fhir/search-cursor.js";
import { dateRange } from "../../src/fhir/search-dates.js";
import { splitEscaped } from "../../src/fhir/search-query.js";
import { normaliseString, prefixUpperBound } from "../../src/fhir/search-strings.js";

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
/** Compares strings by code point (the order SQLite and PostgreSQL "C" compare UTF-8 text in). */
const cmp = (a: string, b: string) => {
  const x = [...a].map((c) => c.codePointAt(0) as number);
  const y = [...b].map((c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
};

const dateParts = fc.record({
  y: fc.integer({ min: 1, max: 9998 }),
  mo: fc.integer({ min: 1, max: 12 }),
  d: fc.integer({ min: 1, max: 28 }),
  h: fc.integer({ min: 0, max: 23 }),
  mi: fc.integer({ min: 0, max: 59 }),
  s: fc.integer({ min: 0, max: 59 }),
  zone: fc.constantFrom("Z", "+05:30", "-08:00", ""),
  tz: fc.constantFrom("UTC", "Europe/London", "America/New_York", "Asia/Kolkata"),
});

describe("search parsers (property)", () => {
  it("a date's range is non-empty and contains the range of every more precise date it starts", () => {
    fc.assert(
      fc.property(dateParts, ({ y, mo, d, h, mi, s, zone, tz }) => {
        const texts = [
          pad(y, 4),
          `${pad(y, 4)}-${pad(mo)}`,
          `${pad(y, 4)}-${pad(mo)}-${pad(d)}`,
          `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${zone}`,
        ];
        const ranges = texts.map((t) => dateRange(t, tz));
        for (const r of ranges) {
          expect(r).toBeDefined();
          expect(Date.parse(r?.start as string)).toBeLessThan(Date.parse(r?.end as string));
        }
        // Date-only texts and a zone-less time share the server zone, so each contains the next.
        const nested = zone === "" ? ranges : ranges.slice(0, 3);
        for (let i = 1; i < nested.length; i++) {
          expect((nested[i]?.start as string) >= (nested[i - 1]?.start as string)).toBe(true);
          expect((nested[i]?.end as string) <= (nested[i - 1]?.end as string)).toBe(true);
        }
      }),
    );
  });

  it("refuses what is not a FHIR date", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        const r = dateRange(text);
        if (r) expect(text).toMatch(/^\d{4}/);
      }),
    );
    for (const bad of ["2026-13", "2026-02-30", "2026-01-01T24:00:00Z", "yesterday", "2026-1-1", ""]) {
      expect(dateRange(bad), bad).toBeUndefined();
    }
  });

  it("normalises strings idempotently, ignoring case and accents", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(normaliseString(normaliseString(s))).toBe(normaliseString(s));
      }),
    );
    const letters = fc.stringMatching(/^[a-z]{1,12}$/);
    fc.assert(
      fc.property(letters, fc.array(fc.constantFrom("\u0301", "\u0308", "\u0327", "\u030a")), (word, marks) => {
        const decorated = [...word]
          .map((c, i) => c + (marks[i] ?? ""))
          .join("")
          .normalize("NFC");
        expect(normaliseString(decorated.toUpperCase())).toBe(word);
      }),
    );
  });

  it("bounds a prefix range: every extension of a prefix sorts at or above it and below its upper bound", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: "binary" }), fc.string({ unit: "binary" }), (prefix, rest) => {
        const upper = prefixUpperBound(prefix);
        expect(cmp(prefix + rest, prefix)).toBeGreaterThanOrEqual(0);
        if (upper !== undefined) {
          expect(cmp(prefix + rest, upper)).toBeLessThan(0);
          expect(cmp(upper, prefix)).toBeGreaterThan(0);
        }
      }),
    );
  });

  it("splits escaped values back into the parts that were escaped and joined", () => {
    const escaped = (s: string) => s.replace(/[\\,|$]/g, (c) => `\\${c}`);
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 5 }), (parts) => {
        expect(splitEscaped(parts.map(escaped).join(","), ",")).toEqual(parts);
      }),
    );
  });

  it("round-trips cursors and refuses one made for another sort order", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64, unit: "grapheme" }), fc.string({ maxLength: 64 }), (key, id) => {
        const c = encodeCursor("lastUpdated", { key, id });
        expect(decodeCursor(c, "lastUpdated")).toEqual({ key, id });
        expect(() => decodeCursor(c, "id")).toThrow();
      }),
    );
  });
});
