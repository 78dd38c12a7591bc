// The merge of a resource two sources write (src/ingest/shared-merge.ts; the CIN census child and the SSD case-record
// person): whichever source comes first, the stored result has the same content, re-sending either changes nothing,
// neither source's own elements are lost, and a source can clear an element it owns.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sameContent } from "../../src/ingest/same-content.js";
import { mergeShared } from "../../src/ingest/shared-merge.js";

type R = Record<string, unknown> & { resourceType: string; id: string };
const SYSTEMS = ["urn:a", "urn:b", "urn:c", "urn:d"];
const COMMON = ["gender", "birthDate", "extension"];

// Two sources: each owns the common elements plus some of its own, and gives identifiers of some systems.
const world = fc.record({
  common: fc.record({
    gender: fc.constantFrom("male", "female"),
    birthDate: fc.constantFrom("2015-01-01", "2016-02-02"),
  }),
  ext: fc.array(fc.constantFrom("x", "y"), { maxLength: 2 }),
  ownA: fc.subarray(["deceasedDateTime"]),
  ownB: fc.subarray(["name", "address"]),
  idsA: fc.subarray(SYSTEMS.slice(0, 2), { minLength: 1 }),
  idsB: fc.subarray(SYSTEMS, { minLength: 1 }),
  values: fc.dictionary(fc.constantFrom(...SYSTEMS), fc.constantFrom("1", "2")),
});

type World = typeof world extends fc.Arbitrary<infer T> ? T : never;

function sourceOf(w: World, which: "a" | "b") {
  const own = which === "a" ? ["deceasedDateTime"] : ["name", "address"];
  const present = which === "a" ? w.ownA : w.ownB;
  const ids = which === "a" ? w.idsA : w.idsB;
  const r: R = {
    resourceType: "Patient",
    id: "p1",
    meta: { source: `urn:tfg:source:${which}` },
    ...w.common,
    ...(w.ext.length ? { extension: w.ext.map((u) => ({ url: u })) } : {}),
    identifier: ids.map((system) => ({ system, value: w.values[system] ?? "0" })),
  };
  for (const k of present)
    r[k] = k === "name" ? [{ family: "F" }] : k === "address" ? [{ postalCode: "ZZ99 1AA" }] : "2020-01-01";
  return { resource: r, owns: [...COMMON, "identifier", ...own] };
}

/** Stores `produced` as the ingest plan would: merged over what is stored; undefined when unchanged. */
const write = (stored: R | undefined, s: { resource: R; owns: string[] }) => {
  const merged = mergeShared(stored, s.resource, s.owns);
  return stored && sameContent(stored, merged) ? stored : merged;
};
const content = (r: R) => ({ ...r, meta: undefined });

describe("shared resource merge (property)", () => {
  it("gives the same content in either order, and re-sending either source changes nothing", () => {
    fc.assert(
      fc.property(world, (w) => {
        const a = sourceOf(w, "a");
        const b = sourceOf(w, "b");
        const ab = write(write(undefined, a), b);
        const ba = write(write(undefined, b), a);
        expect(content(ab)).toEqual(content(ba));
        for (const s of [a, b, a, b]) expect(write(ab, s)).toBe(ab);
        for (const s of [b, a, b, a]) expect(write(ba, s)).toBe(ba);
        // Neither source's own elements are lost, and every identifier given survives.
        for (const k of [...w.ownA, ...w.ownB]) expect(ab[k]).toBeDefined();
        const systems = (ab.identifier as { system: string }[]).map((i) => i.system).sort();
        expect(systems).toEqual([...new Set([...w.idsA, ...w.idsB])].sort());
      }),
      { numRuns: 300 },
    );
  });

  it("lets a source clear an element it owns, and keeps the first writer's meta.source", () => {
    const b = {
      resource: {
        resourceType: "Patient",
        id: "p1",
        meta: { source: "urn:b" },
        name: [{ family: "F" }],
        identifier: [{ system: "urn:b", value: "1" }],
      } as R,
      owns: ["name", "identifier"],
    };
    const a = {
      resource: {
        resourceType: "Patient",
        id: "p1",
        meta: { source: "urn:a" },
        gender: "male",
        identifier: [{ system: "urn:a", value: "9" }],
      } as R,
      owns: ["gender", "identifier"],
    };
    const stored = write(write(undefined, b), a);
    expect(stored.name).toEqual([{ family: "F" }]);
    expect((stored.meta as { source: string }).source).toBe("urn:b");
    const { name: _dropped, ...withoutName } = b.resource;
    const cleared = write(stored, { ...b, resource: withoutName as R });
    expect(cleared.name).toBeUndefined();
    expect(cleared.gender).toBe("male");
  });
});
