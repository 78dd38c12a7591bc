// Property test (issue 10 scope 9): whatever a resource holds, redact(resource, level) never shows an element
// above the level. Checked against the element table and, independently, against what DOMAIN.md §4 names
// for each level (free text, diagnoses, substances, addresses only at sensitive; contacts not at existence;
// plan details, dates and modality not at contact), plus: never adds anything, more levels show more.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { profileUrl, TFG_BASE } from "../../src/fhir/canonical.js";
import { covers, LEVELS, type Level, rankOf } from "../../src/policy/levels.js";
import { levelOfElement, redact } from "../../src/policy/redact.js";
import { NESTED_EXTENSIONS, REDACTION } from "../../src/policy/redact-table.js";

type Json = Record<string, unknown>;
const ext = (name: string) => `${TFG_BASE}/StructureDefinition/${name}`;

/** What DOMAIN.md §4 says, written out separately from the table: elements shown only at `sensitive`. */
const SENSITIVE_ONLY: Record<string, string[]> = {
  "*": ["text", "contained", "implicitRules", "modifierExtension", "unknownElement"],
  Patient: ["address", "telecom", "maritalStatus", "contact", "communication", "link", "photo"],
  EpisodeOfCare: ["diagnosis", "account"],
  Encounter: ["reasonCode", "reasonReference", "diagnosis", "hospitalization"],
  CarePlan: ["description", "note", "activity", "addresses", "supportingInfo", "goal"],
  ServiceRequest: ["reasonCode", "reasonReference", "note", "supportingInfo", "patientInstruction"],
  Observation: ["note", "interpretation", "valueString", "valueCodeableConcept", "component", "code"],
  Group: ["identifier", "characteristic", "name"],
  Provenance: ["agent", "entity"],
  RelatedPerson: ["address", "telecom"],
};
/** Elements DOMAIN.md puts at `contact` or above (never at `existence`). */
const NOT_AT_EXISTENCE: Record<string, string[]> = {
  Patient: ["name", "identifier", "birthDate", "gender"],
  EpisodeOfCare: ["careManager", "team", "status", "period", "type"],
  Practitioner: ["name", "telecom"],
  Flag: ["code", "period", "author"],
  CarePlan: ["status", "category", "period"],
  ServiceRequest: ["status", "code", "authoredOn", "performer"],
};
/** Elements DOMAIN.md puts at `summary` or above (never at `existence` or `contact`). */
const NOT_AT_CONTACT: Record<string, string[]> = {
  Patient: ["birthDate", "gender"],
  EpisodeOfCare: ["period", "type", "referralRequest"],
  Flag: ["code", "period"],
  CarePlan: ["category", "period", "title"],
  Encounter: ["status", "class", "period", "type"],
  RelatedPerson: ["birthDate", "relationship"],
};
/** Extensions by level. */
const SENSITIVE_EXTENSIONS = [
  ext("problem-substance"),
  ext("ndtms-consent"),
  ext("disability"),
  "https://example.org/unknown",
];
const SUMMARY_EXTENSIONS = [
  ext("treatment-modality"),
  ext("category-of-abuse"),
  ext("episode-end-reason"),
  ext("lives-with"),
];

const TYPES = [...Object.keys(REDACTION), "AuditEvent", "Person", "Task", "UnknownType"];

const OVERRIDDEN_PROFILES = [
  profileUrl("TFG-ParentalStatus"),
  profileUrl("TFG-YoungCarer"),
  profileUrl("TFG-ProblemSubstanceUse"),
];

const leaf = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean());
const extensionItem = fc.record({
  url: fc.constantFrom(...Object.keys(NESTED_EXTENSIONS), ...SENSITIVE_EXTENSIONS, ...SUMMARY_EXTENSIONS),
  valueString: fc.string({ maxLength: 4 }),
});
/** A value: primitives, objects with nested extensions and sometimes a modifier extension, arrays of them. */
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("v"), { maxLength: 3 }),
    fc
      .record(
        {
          a: tie("v"),
          reference: fc.string({ maxLength: 6 }),
          extension: fc.array(extensionItem, { maxLength: 2 }),
        },
        { requiredKeys: [] },
      )
      .map((o) => o as unknown),
  ),
})).v;

function keysFor(type: string): string[] {
  const table = REDACTION[type];
  const listed = table ? Object.keys(table.elements).map((k) => k.replace("[x]", "String")) : [];
  const profileKeys = table?.profiles ? Object.values(table.profiles).flatMap((o) => Object.keys(o)) : [];
  const sensitive = [...(SENSITIVE_ONLY["*"] ?? []), ...(SENSITIVE_ONLY[type] ?? [])];
  const rest = [...(NOT_AT_EXISTENCE[type] ?? []), ...(NOT_AT_CONTACT[type] ?? [])];
  const all = [...new Set([...listed, ...profileKeys, ...sensitive, ...rest, "valueQuantity", "effectivePeriod"])];
  return [...all, ...all.map((k) => `_${k}`)].filter((k) => k !== "resourceType" && k !== "_resourceType");
}

const resource: fc.Arbitrary<Json> = fc.constantFrom(...TYPES).chain((type) =>
  fc
    .record({
      keys: fc.subarray(keysFor(type)),
      values: fc.array(value, { minLength: 40, maxLength: 40 }),
      extension: fc.array(
        fc.record({
          url: fc.constantFrom(
            ...SENSITIVE_EXTENSIONS,
            ...SUMMARY_EXTENSIONS,
            ...Object.keys(REDACTION[type]?.extensions ?? {}),
          ),
          valueString: fc.string({ maxLength: 4 }),
        }),
        { maxLength: 3 },
      ),
      profile: fc.subarray(OVERRIDDEN_PROFILES, { maxLength: 2 }),
      modifier: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      random: fc.dictionary(
        fc.string({ minLength: 1, maxLength: 5 }).map((k) => `x${k}`),
        leaf,
        { maxKeys: 2 },
      ),
    })
    .map(({ keys, values, extension, profile, modifier, random }) => {
      const r: Json = { resourceType: type, id: "r1" };
      keys.forEach((k, i) => {
        r[k] = values[i % values.length];
      });
      // Now and then a modifier extension, at the top or inside an element.
      const inside = keys.find((k) => !k.startsWith("_"));
      if (modifier && inside) r[inside] = { modifierExtension: [{ url: "https://example.org/m", valueBoolean: true }] };
      else if (modifier) r.modifierExtension = [{ url: "https://example.org/m", valueBoolean: true }];
      r.meta = { versionId: "1", profile, source: "urn:source", tag: [{ system: "s", code: "RX4" }] };
      if (extension.length > 0) r.extension = extension;
      return { ...random, ...r };
    }),
);

const below = LEVELS.filter((l) => l !== "none" && l !== "sensitive") as Level[];

/** Every nested `extension` item outside top-level extensions, and every `modifierExtension`, found in `v`. */
function nested(v: unknown, out: { urls: unknown[]; modifiers: number }) {
  if (Array.isArray(v)) for (const x of v) nested(x, out);
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k === "modifierExtension") out.modifiers++;
      if (k === "extension" && Array.isArray(x)) for (const e of x) out.urls.push((e as Json)?.url);
      nested(x, out);
    }
  }
}

/** True when every part of `out` is in `input` (objects by key, array items matching some input item). */
function within(out: unknown, input: unknown): boolean {
  if (Array.isArray(out)) return Array.isArray(input) && out.every((o) => input.some((i) => within(o, i)));
  if (out && typeof out === "object") {
    if (!input || typeof input !== "object" || Array.isArray(input)) return false;
    return Object.entries(out).every(([k, v]) => Object.hasOwn(input, k) && within(v, (input as Json)[k]));
  }
  return Object.is(out, input);
}

describe("redact never shows an element above the level", () => {
  it("none shows nothing; sensitive shows the resource as it is", () => {
    fc.assert(
      fc.property(resource, (r) => {
        expect(redact(r, "none")).toBeUndefined();
        expect(redact(r, "sensitive")).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it("below sensitive: only elements the level covers, by the table", () => {
    fc.assert(
      fc.property(resource, fc.constantFrom(...below), (r, level) => {
        const out = redact(r, level);
        if (out === undefined) return;
        for (const key of Object.keys(out)) {
          if (key === "extension") continue;
          expect(
            covers(level, levelOfElement(r.resourceType as string, key, r)),
            `${r.resourceType}.${key} at ${level}`,
          ).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("below sensitive: nothing DOMAIN.md §4 keeps for sensitive, contact or summary", () => {
    fc.assert(
      fc.property(resource, fc.constantFrom(...below), (r, level) => {
        const out = redact(r, level) as Json | undefined;
        if (out === undefined) return;
        const type = r.resourceType as string;
        const claimsOverride =
          Array.isArray((r.meta as Json).profile) &&
          ((r.meta as Json).profile as string[]).some(
            (p) => p.endsWith("TFG-ParentalStatus") || p.endsWith("TFG-YoungCarer"),
          );
        for (const k of [...(SENSITIVE_ONLY["*"] ?? []), ...(SENSITIVE_ONLY[type] ?? [])]) {
          if (
            type === "Observation" &&
            claimsOverride &&
            ["code", "valueString", "valueCodeableConcept", "component"].includes(k)
          )
            continue;
          expect(out, `${type}.${k} at ${level}`).not.toHaveProperty([k]);
          expect(out, `${type}._${k} at ${level}`).not.toHaveProperty([`_${k}`]);
        }
        for (const k of Object.keys(out)) expect(k.startsWith("x"), `unknown ${k}`).toBe(false);
        if (level === "existence") for (const k of NOT_AT_EXISTENCE[type] ?? []) expect(out).not.toHaveProperty([k]);
        if (rankOf(level) <= rankOf("contact"))
          for (const k of NOT_AT_CONTACT[type] ?? []) expect(out).not.toHaveProperty([k]);
        expect((out.meta as Json | undefined)?.source).toBeUndefined();
        const top = Array.isArray(out.extension) ? (out.extension as Json[]).map((e) => e.url) : [];
        for (const url of SENSITIVE_EXTENSIONS) expect(top).not.toContain(url);
        if (rankOf(level) <= rankOf("contact")) for (const url of SUMMARY_EXTENSIONS) expect(top).not.toContain(url);
        const { extension: _top, ...rest } = out;
        const found = { urls: [] as unknown[], modifiers: 0 };
        nested(rest, found);
        expect(found.modifiers).toBe(0);
        for (const url of found.urls) {
          expect(typeof url === "string" && Object.hasOwn(NESTED_EXTENSIONS, url), String(url)).toBe(true);
          expect(covers(level, NESTED_EXTENSIONS[url as string] as Level)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("never adds anything, never changes the input, and a higher level shows at least as much", () => {
    fc.assert(
      fc.property(resource, (r) => {
        const before = structuredClone(r);
        const outs = below.map((l) => redact(r, l));
        expect(r).toEqual(before);
        outs.forEach((out, i) => {
          if (out === undefined) return;
          expect(within(out, r)).toBe(true);
          const next = outs[i + 1];
          if (i + 1 < outs.length) {
            expect(next).toBeDefined();
            expect(within(out, next)).toBe(true);
          }
        });
      }),
      { numRuns: 500 },
    );
  });

  it("a type without a table, or a resource with a modifier extension, is withheld below sensitive", () => {
    fc.assert(
      fc.property(resource, fc.constantFrom(...below), (r, level) => {
        const found = { urls: [] as unknown[], modifiers: 0 };
        nested(r, found);
        if (!REDACTION[r.resourceType as string]) expect(redact(r, level)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
    expect(
      redact({ resourceType: "Flag", id: "f", status: "active", modifierExtension: [{ url: "u" }] }, "summary"),
    ).toBeUndefined();
    expect(
      redact(
        { resourceType: "Flag", id: "f", status: "active", subject: { modifierExtension: [{ url: "u" }] } },
        "summary",
      ),
    ).toBeUndefined();
  });
});
