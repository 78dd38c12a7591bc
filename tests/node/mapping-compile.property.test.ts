// Compiled templates (src/mapping/compile.ts) against the interpreter (src/mapping/template.ts), and the
// compiled path readers (src/mapping/paths.ts) against the path functions as they were written before
// compilation: on random records, paths, conditions and templates, the same values, the same reads for
// the coverage report, the same ConceptMap misses, and the same errors.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileCondition, compileKey, compileTemplate } from "../../src/mapping/compile.js";
import { ConceptMaps } from "../../src/mapping/concept-maps.js";
import { forEachScopes, readPath, type Scope, valueAtPath, valuesAtPath } from "../../src/mapping/paths.js";
import { type Derivation, type EvalContext, evaluate, keyParts, test } from "../../src/mapping/template.js";
import type { Condition, Json } from "../../src/mapping/types.js";

// ---- The path functions before compilation, kept here as the reference. ----
const refPlain = (path: string) => path.replace(/^(\^|\.\.)/, "").replace(/\[\]/g, "");
function refReadPath(scope: Scope, path: string): string {
  if (path.startsWith("^")) return refPlain(path);
  if (path.startsWith("..")) return refReadPath(scope.parent ?? scope, path.slice(2));
  const base = scope.path ?? "";
  if (scope.scalar && path === "value") return base;
  return base ? `${base}.${refPlain(path)}` : refPlain(path);
}
function refValuesAtPath(scope: Scope, path: string): unknown[] {
  if (path.startsWith("..")) return refValuesAtPath(scope.parent ?? scope, path.slice(2));
  const absolute = path.startsWith("^");
  let current: unknown[] = [absolute ? scope.root : scope.item];
  for (const raw of (absolute ? path.slice(1) : path).split(".")) {
    const step = raw.endsWith("[]") ? raw.slice(0, -2) : raw;
    const next: unknown[] = [];
    for (const node of current) {
      if (node === null || typeof node !== "object") continue;
      const v = (node as Record<string, unknown>)[step];
      if (Array.isArray(v)) next.push(...v);
      else if (v !== undefined && v !== null) next.push(v);
    }
    current = next;
  }
  return current;
}

// ---- Random records, paths, conditions and templates over a small vocabulary, so they meet. ----
const KEYS = ["A", "B", "value"];
const key = fc.constantFrom(...KEYS);
const leaf = fc.oneof(
  fc.constantFrom("Y", "N", "x", ""),
  fc.constantFrom("Y", "N", "x", ""),
  fc.integer({ min: -1, max: 2 }),
  fc.constantFrom(null, true),
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(key, tie("v"), { maxKeys: 4 }),
  ),
})).v;
const record = fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }) as fc.Arbitrary<Record<string, unknown>>;

const step = fc.tuple(key, fc.boolean()).map(([k, list]) => (list ? `${k}[]` : k));
const path = fc
  .tuple(fc.constantFrom("", "", "", "^", "..", "...."), fc.array(step, { minLength: 1, maxLength: 3 }))
  .map(([prefix, steps]) => prefix + steps.join("."));

const condition: fc.Arbitrary<Condition> = fc.letrec<{ c: Condition }>((tie) => ({
  c: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    path.map((p) => ({ exists: p })),
    fc.tuple(path, leaf).map(([p, v]) => ({ equals: [p, v as Json] as [string, Json] })),
    fc.tuple(path, fc.array(leaf, { maxLength: 3 })).map(([p, vs]) => ({ in: [p, vs as Json[]] as [string, Json[]] })),
    tie("c").map((c) => ({ not: c })),
    fc.array(tie("c"), { maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie("c"), { maxLength: 3 }).map((any) => ({ any })),
  ),
})).c;

const MAPS = new ConceptMaps([
  {
    resourceType: "ConceptMap",
    id: "yn",
    url: "urn:test:yn",
    group: [{ target: "urn:test:target", element: [{ code: "Y", target: [{ code: "yes", display: "Yes" }] }] }],
  },
]);

const template: fc.Arbitrary<Json> = fc.letrec<{ t: Json }>((tie) => ({
  t: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf as fc.Arbitrary<Json>,
    fc.array(tie("t"), { maxLength: 3 }),
    fc.dictionary(key, tie("t"), { maxKeys: 3 }),
    path.map((p) => ({ $path: p })),
    path.map((p) => ({ $all: p })),
    path.map((p) => ({ $bool: p })),
    path.map((p) => ({ $coding: { system: "urn:s", path: p } })),
    fc
      .tuple(
        path,
        fc.option(fc.constantFrom("Y", "N")),
        fc.constantFrom("code", "coding"),
        fc.constantFrom("yn", "nope"),
      )
      .map(([p, d, as, map]) => ({ $translate: { map, path: p, as, ...(d === null ? {} : { default: d }) } })),
    fc
      .tuple(fc.constantFrom("Patient", "Group"), fc.array(tie("t"), { maxLength: 2 }))
      .map(([resourceType, k]) => ({ $ref: { resourceType, key: k } })),
    fc.tuple(condition, fc.option(tie("t")), fc.option(tie("t"))).map(([c, then, otherwise]) => ({
      $if: c,
      ...(then === null ? {} : { then }),
      ...(otherwise === null ? {} : { else: otherwise }),
    })) as fc.Arbitrary<Json>,
    fc.tuple(path, tie("t")).map(([p, t]) => ({ $each: p, template: t })),
    fc.array(tie("t"), { maxLength: 3 }).map((parts) => ({ $concat: parts })),
    fc.tuple(fc.constantFrom("probe", "missing"), path).map(([name, p]) => ({ $derive: name, args: { path: p } })),
    fc.constant({ $nonsense: 1 }),
    // Malformed expressions: both sides must fail (or not) alike.
    fc.constantFrom<Json>(
      { $concat: "ab" },
      { $ref: { resourceType: "Patient", key: "ab" } },
      { $if: {} },
      { $path: 3 },
    ),
  ),
})).t;

/** A derivation that reads like the real ones: notes a read, returns a value or a list. */
const probe: Derivation = (scope, args, ctx) => {
  const p = String(args.path);
  ctx.read.add(readPath(scope, p));
  const all = valuesAtPath(scope, p);
  return all.length > 1 ? all : all[0];
};

const context = (): EvalContext => ({
  source: "cpa",
  conceptMaps: MAPS,
  derivations: { probe },
  read: new Set(),
  misses: [],
});

/** Every scope a record offers: the root and the items of a few forEach paths. */
function scopesOf(data: Record<string, unknown>, forEach: string[]): Scope[] {
  const root: Scope = { root: data, item: data, path: "" };
  return [root, ...forEach.flatMap((p) => forEachScopes(data, p.replace(/^\.+/, "")))];
}

type Outcome = { ok: true; json: string | undefined; read: string[]; misses: unknown } | { ok: false; error: string };
function outcome(run: (ctx: EvalContext) => unknown): Outcome {
  const ctx = context();
  try {
    const v = run(ctx);
    return { ok: true, json: JSON.stringify(v), read: [...ctx.read].sort(), misses: ctx.misses };
  } catch (err) {
    return { ok: false, error: String(err) };
  }
}

describe("compiled path readers", () => {
  it("read the same values and report the same read paths as the path functions did", () => {
    fc.assert(
      fc.property(
        record,
        fc.array(path, { maxLength: 2 }),
        fc.array(path, { minLength: 1, maxLength: 4 }),
        (data, fe, paths) => {
          for (const scope of scopesOf(data, fe)) {
            for (const p of paths) {
              expect(valuesAtPath(scope, p)).toEqual(refValuesAtPath(scope, p));
              expect(valueAtPath(scope, p)).toEqual(refValuesAtPath(scope, p)[0]);
              expect(readPath(scope, p)).toBe(refReadPath(scope, p));
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("compiled templates", () => {
  it("evaluate like the interpreter: values, reads, misses and errors", () => {
    fc.assert(
      fc.property(record, fc.array(path, { maxLength: 2 }), template, (data, fe, t) => {
        const compiled = compileTemplate(t);
        for (const scope of scopesOf(data, fe)) {
          expect(outcome((ctx) => compiled(scope, ctx))).toEqual(outcome((ctx) => evaluate(t, scope, ctx)));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("test conditions and build keys like the interpreter", () => {
    fc.assert(
      fc.property(record, condition, fc.array(template, { maxLength: 3 }), (data, c, k) => {
        const cond = compileCondition(c);
        const parts = compileKey(k);
        for (const scope of scopesOf(data, ["A[]", "B.value"])) {
          expect(outcome((ctx) => cond(scope, ctx))).toEqual(outcome((ctx) => test(c, scope, ctx)));
          expect(outcome((ctx) => parts(scope, ctx))).toEqual(outcome((ctx) => keyParts(k, scope, ctx)));
        }
      }),
      { numRuns: 300 },
    );
  });
});
