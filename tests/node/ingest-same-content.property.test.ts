// "Unchanged" without serialising (src/ingest/same-content.ts) agrees with comparing the canonical JSON
// strings, and the record copy the engine works on (src/mapping/clone.ts) equals structuredClone's: on
// random JSON-like values, with keys reordered, meta versions changed, and the values JSON treats
// specially (undefined, NaN, -0, __proto__ keys, dates).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { comparable, sameContent } from "../../src/ingest/same-content.js";
import { cloneRecord } from "../../src/mapping/clone.js";

const KEYS = ["a", "b", "c", "__proto__", "toJSON", "1"];
const key = fc.constantFrom(...KEYS);
const leaf = fc.oneof(
  fc.constantFrom<unknown>(
    "x",
    "y",
    "",
    0,
    -0,
    1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    true,
    false,
    undefined,
  ),
  fc.constant(new Date(0)),
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(key, tie("v"), { maxKeys: 4 }),
  ),
})).v;
const meta = fc.record(
  {
    versionId: fc.constantFrom("1", "2"),
    lastUpdated: fc.constantFrom("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"),
    profile: fc.constantFrom<unknown>(["urn:p"], ["urn:q"], undefined, []),
    source: fc.constantFrom<unknown>("urn:s", undefined),
    tag: fc.constantFrom<unknown>([{ code: "t" }], undefined),
  },
  { requiredKeys: [] },
);
const resource = fc
  .tuple(fc.dictionary(key, value, { maxKeys: 4 }), fc.option(meta))
  .map(([body, m]) => ({ resourceType: "Patient", id: "p", ...body, ...(m === null ? {} : { meta: m }) }));

/** The same value with object keys in reverse order (JSON-equal, differently ordered). */
function reordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reordered);
  if (v === null || typeof v !== "object" || v instanceof Date) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).reverse()) {
    const x = reordered((v as Record<string, unknown>)[k]);
    if (k === "__proto__")
      Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

const outcome = (f: () => boolean) => {
  try {
    return f();
  } catch (err) {
    return String(err);
  }
};

describe("sameContent", () => {
  it("agrees with comparing comparable() strings, for unrelated, reordered and JSON-parsed pairs", () => {
    fc.assert(
      fc.property(resource, resource, meta, (a, b, m) => {
        const pairs: [Record<string, unknown>, Record<string, unknown>][] = [
          [a, b],
          [a, reordered(a) as Record<string, unknown>],
          [a, { ...(reordered(a) as Record<string, unknown>), meta: m }],
          [a, JSON.parse(JSON.stringify(a)) as Record<string, unknown>],
          [b, { ...a, meta: b.meta }],
        ];
        for (const [x, y] of pairs) {
          expect(outcome(() => sameContent(x, y))).toEqual(outcome(() => comparable(x) === comparable(y)));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("cloneRecord", () => {
  it("copies like structuredClone, sharing nothing with the original", () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 5 }), (data) => {
        const copy = cloneRecord(data);
        expect(copy).toStrictEqual(structuredClone(data));
        expect(Object.keys(copy)).toEqual(Object.keys(structuredClone(data)));
        for (const k of Object.keys(data)) {
          const v = data[k];
          if (v !== null && typeof v === "object") expect(copy[k]).not.toBe(v);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
