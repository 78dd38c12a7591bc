// Index extraction (src/fhir/search-index.ts) against a plain reading of the parameter table: the same rows,
// in the same order, for every HL7 R4 example of every served type and for random resources (fast-check).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SEARCH_PARAMS, type SearchParamDef } from "../../src/fhir/resource-types.js";
import { dateRange, MAX_INSTANT, MIN_INSTANT } from "../../src/fhir/search-dates.js";
import { indexResource, normaliseReference } from "../../src/fhir/search-index.js";
import { MAX_STRING_LENGTH, normaliseString } from "../../src/fhir/search-strings.js";
import { SERVED_TYPES } from "../../src/fhir/served-types.js";

type Json = Record<string, unknown>;

/** Values at a dotted path, arrays flattened at every step, read one step at a time. */
function valuesAt(root: unknown, path: string): unknown[] {
  let current: unknown[] = [root];
  for (const step of path.split(".")) {
    current = current.flatMap((node) => {
      if (!node || typeof node !== "object" || Array.isArray(node)) return [];
      const v = (node as Json)[step];
      if (Array.isArray(v)) return v;
      return v === undefined || v === null ? [] : [v];
    });
  }
  return current;
}

const NOT_TEXT = new Set(["use", "type", "period", "extension", "modifierExtension", "id", "system"]);
function texts(v: unknown, depth = 0): string[] {
  if (typeof v === "string") return v === "" ? [] : [v];
  if (Array.isArray(v)) return v.flatMap((x) => texts(x, depth));
  if (v && typeof v === "object" && depth < 3)
    return Object.entries(v).flatMap(([k, x]) => (NOT_TEXT.has(k) ? [] : texts(x, depth + 1)));
  return [];
}
function tokens(v: unknown, def: SearchParamDef): { system: string; value: string }[] {
  if (typeof v === "string") return v === "" ? [] : [{ system: def.codeSystem ?? "", value: v }];
  if (typeof v === "boolean") return [{ system: "", value: String(v) }];
  if (!v || typeof v !== "object") return [];
  const o = v as Json;
  const system = typeof o.system === "string" ? o.system : "";
  if (Array.isArray(o.coding)) return o.coding.flatMap((c) => tokens(c, def));
  if (typeof o.code === "string" && o.code !== "") return [{ system, value: o.code }];
  if (typeof o.value === "string" && o.value !== "")
    return def.system !== undefined && o.system !== def.system ? [] : [{ system, value: o.value }];
  return [];
}
function range(v: unknown): { low: string; high: string } | undefined {
  if (typeof v === "string") {
    const r = dateRange(v);
    return r && { low: r.start, high: r.end };
  }
  if (!v || typeof v !== "object") return undefined;
  const p = v as Json;
  const s = typeof p.start === "string" ? dateRange(p.start) : undefined;
  const e = typeof p.end === "string" ? dateRange(p.end) : undefined;
  return s || e ? { low: s?.start ?? MIN_INSTANT, high: e?.end ?? MAX_INSTANT } : undefined;
}
const unique = <T extends object>(rows: T[]) =>
  rows.filter((r, i) => rows.findIndex((o) => JSON.stringify(o) === JSON.stringify(r)) === i);

/** The index rows of `resource` read straight off the parameter table. */
function expected(resource: Json) {
  const out = { tokens: [] as object[], references: [] as object[], strings: [] as object[], dates: [] as object[] };
  for (const def of SEARCH_PARAMS[String(resource.resourceType)] ?? []) {
    if (def.indexedAs) continue;
    const param = def.name;
    for (const v of def.paths.flatMap((p) => valuesAt(resource, p))) {
      if (def.type === "token" || def.type === "uri") out.tokens.push(...tokens(v, def).map((t) => ({ param, ...t })));
      if (def.type === "reference") {
        const ref = v && typeof v === "object" ? (v as Json).reference : undefined;
        const target = typeof ref === "string" ? normaliseReference(ref) : undefined;
        if (target && (!def.targets || def.targets.includes(target.split("/")[0] as string)))
          out.references.push({ param, target });
      }
      if (def.type === "string")
        out.strings.push(
          ...texts(v).map((t) => ({ param, value: normaliseString(t), exact: t.slice(0, MAX_STRING_LENGTH) })),
        );
      const r = def.type === "date" ? range(v) : undefined;
      if (r) out.dates.push({ param, ...r });
    }
  }
  return {
    tokens: unique(out.tokens),
    references: unique(out.references),
    strings: unique(out.strings),
    dates: unique(out.dates),
  };
}

const EXAMPLES = join(process.cwd(), "node_modules", "hl7.fhir.r4.examples");

/** Random values of the shapes index targets take: strings, dates, codings, concepts, identifiers, references, periods. */
const leaf = fc.oneof(
  fc.constantFrom("", "x", "Ab  Cd", "Ünïcödé", "1980", "1980-05-12", "2020-01-01T10:00:00Z", "Patient/p-1", true),
  fc.string({ maxLength: 8 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.record(
      {
        system: fc.constantFrom("http://s", "phone", "email", "https://fhir.nhs.uk/Id/nhs-number"),
        code: leaf,
        value: leaf,
        reference: fc.constantFrom("Patient/p-1", "Organization/o", "#c", "http://x/fhir/Group/g/_history/2"),
        start: leaf,
        end: leaf,
        family: leaf,
        given: fc.array(leaf, { maxLength: 2 }),
        coding: fc.array(tie("v"), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
    fc.array(tie("v"), { maxLength: 3 }),
    fc.constant(null),
  ),
})).v;

/** A resource of a served type whose elements are the first steps (and nested steps) of its parameters' paths. */
const resource = fc.constantFrom(...SERVED_TYPES).chain((type) => {
  const steps = [...new Set((SEARCH_PARAMS[type] ?? []).flatMap((d) => d.paths.map((p) => p.split("."))).flat())];
  const nested = fc.dictionary(fc.constantFrom(...steps), value, { maxKeys: 3 });
  return fc
    .dictionary(fc.constantFrom(...steps), fc.oneof(value, nested, fc.array(nested, { maxLength: 2 })), {
      maxKeys: 6,
    })
    .map((body) => ({ ...body, resourceType: type }) as Json);
});

describe("search index extraction", () => {
  it("gives the rows the parameter table defines, in order, for every R4 example of every served type", () => {
    let checked = 0;
    for (const file of readdirSync(EXAMPLES)) {
      if (!file.endsWith(".json") || !SERVED_TYPES.some((t) => file.startsWith(`${t}-`))) continue;
      const r = JSON.parse(readFileSync(join(EXAMPLES, file), "utf8")) as Json;
      if (!SERVED_TYPES.includes(String(r.resourceType))) continue;
      expect(indexResource(r), file).toEqual(expected(r));
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("gives the rows the parameter table defines for random resources (property)", () => {
    fc.assert(
      fc.property(resource, (r) => {
        expect(indexResource(r)).toEqual(expected(r));
      }),
      { numRuns: 500 },
    );
  });
});
