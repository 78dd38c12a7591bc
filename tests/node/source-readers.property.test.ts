// Property tests for every source reader with its mapping and the validators: arbitrary bytes, random
// JSON shaped like CPA records, and corrupted copies of the golden inputs never make anything throw;
// each record ends as resources or as issues that say where, and no diagnostic repeats a source value.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateResource } from "../../src/fhir/validation/index.js";
import type { SourceName } from "../../src/mapping/registry.js";
import { cinRecords } from "../../src/mapping/sources/cin.js";
import { cpaCsvRecords, cpaJsonRecords, cpaNdjsonRecords } from "../../src/mapping/sources/cpa.js";
import type { SourceEvent } from "../../src/mapping/sources/events.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { mapAll, textSource } from "../support/map-events.js";

type Reader = (input: string | Uint8Array) => AsyncIterable<SourceEvent>;

const READERS: [string, SourceName, Reader][] = [
  ["CPA JSON", "cpa", (i) => cpaJsonRecords(textSource(i))],
  ["CPA NDJSON", "cpa", (i) => cpaNdjsonRecords(textSource(i))],
  [
    "CPA CSV tables",
    "cpa",
    (i) => cpaCsvRecords({ "MHS001MPI.csv": textSource(i), "MHS701CPACareEpisode.csv": textSource(i) }),
  ],
  ["NDTMS CSV", "ndtms", (i) => ndtmsRecords(textSource(i))],
  ["CIN XML", "cin", (i) => cinRecords(textSource(i))],
];

const GOLDEN: Record<string, string> = {
  "CPA JSON": readFileSync("tests/golden/cpa/input.json", "utf8"),
  "NDTMS CSV": readFileSync("tests/golden/ndtms/input.csv", "utf8"),
  "CIN XML": readFileSync("tests/golden/cin/input-2026.xml", "utf8"),
};

/** A value no source field holds by chance; seeing it in a diagnostic means a value leaked. */
const MARKER = "QXMARKER7";

/** Runs reader → mapping → validators and checks the invariants; throws (failing the property) on a breach. */
async function checkRun(source: SourceName, events: AsyncIterable<SourceEvent>) {
  const { mapped, other } = await mapAll(source, events);
  expect(other.filter((o) => o.kind === "fatal").length).toBeLessThanOrEqual(1);
  for (const o of other) {
    const issues = o.kind === "fatal" ? [o.issue] : o.kind === "broken" ? o.issues : [];
    for (const i of issues) {
      expect(i.expression?.length).toBeGreaterThan(0);
      expect(i.diagnostics).not.toContain(MARKER);
    }
  }
  for (const m of mapped) {
    const errors = m.issues.filter((i) => i.severity === "error" || i.severity === "fatal");
    if (errors.length > 0) expect(m.resources).toEqual([]);
    for (const i of m.issues) {
      expect(i.expression?.length, i.diagnostics).toBeGreaterThan(0);
      expect(i.diagnostics).not.toContain(MARKER);
    }
    for (const { resource } of m.resources) {
      for (const i of validateResource(resource)) {
        expect(i.diagnostics).not.toContain(MARKER);
        expect(JSON.stringify(i.expression)).not.toContain(MARKER);
      }
    }
  }
}

/** Random CPA-shaped records: the real table names with random JSON (markers included) inside. */
const cpaLike = fc
  .array(
    fc.dictionary(
      fc.constantFrom(
        "OrgIDProv",
        "MHS001MPI",
        "MHS005PatInd",
        "MHS006MHCareCoord",
        "MHS701CPACareEpisode",
        "MHS702CPAReview",
        "MHS101Referral",
        "Household",
      ),
      fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constant({ LocalPatientId: `P-${MARKER}`, PersonBirthDate: `19${MARKER}`, NHSNumber: MARKER }),
        fc.constant({ ChildrenQuestion: MARKER, Children: [{ ChildLocalId: MARKER, PersonBirthDate: MARKER }] }),
        fc.constant([{ CPAEpisodeId: MARKER, StartDateCPA: MARKER }]),
      ),
    ),
    { maxLength: 4 },
  )
  .map((patients) => JSON.stringify({ Patients: patients }));

/** A golden input with a slice cut out and random text (with a marker) put in its place. */
const corrupted = (text: string) =>
  fc
    .tuple(fc.nat({ max: text.length }), fc.nat({ max: 40 }), fc.string({ maxLength: 20 }))
    .map(([at, cut, insert]) => `${text.slice(0, at)}${insert}${MARKER}${text.slice(at + cut)}`);

describe("source readers, mappings and validators on hostile input", () => {
  it.each(READERS)("%s: arbitrary bytes never throw", async (_name, source, read) => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.string({ maxLength: 400 })), async (input) => {
        await checkRun(source, read(input));
      }),
      { numRuns: 60 },
    );
  });

  it("CPA JSON and NDJSON: random records shaped like CPA never throw, and never echo a value", async () => {
    await fc.assert(
      fc.asyncProperty(cpaLike, async (doc) => {
        await checkRun("cpa", cpaJsonRecords(textSource(doc)));
        const lines = (JSON.parse(doc) as { Patients: unknown[] }).Patients.map((p) => JSON.stringify(p)).join("\n");
        await checkRun("cpa", cpaNdjsonRecords(textSource(lines)));
      }),
      { numRuns: 150 },
    );
  });

  it.each(Object.keys(GOLDEN))(
    "%s: corrupted copies of the golden input never throw, and never echo a value",
    async (name) => {
      const entry = READERS.find(([n]) => n === name);
      if (!entry) throw new Error(name);
      const [, source, read] = entry;
      await fc.assert(
        fc.asyncProperty(corrupted(GOLDEN[name] as string), async (input) => {
          await checkRun(source, read(input));
        }),
        { numRuns: 100 },
      );
    },
  );

  it("CIN XML: a malformed tag named with data is described by the kind of error only (found by this property)", async () => {
    const events: SourceEvent[] = [];
    for await (const e of cinRecords(textSource(`<Message><Children></Children>\n<${MARKER}Message>\n`)))
      events.push(e);
    expect(events).toEqual([
      {
        kind: "fatal",
        issue: {
          severity: "fatal",
          code: "structure",
          diagnostics: "The file is not well-formed XML (unclosed tag)",
          expression: ["line 3"],
        },
      },
    ]);
  });
});
