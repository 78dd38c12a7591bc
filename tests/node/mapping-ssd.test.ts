// SSD case-record mapping (docs/sources/ssd.md): golden output from the CSV tables, the JSON document giving the same
// records, every produced resource valid, rejections at table, row and column, and a property test of the reader
// (random rows in random table order give the same records as CSV and as JSON).
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateResource } from "../../src/fhir/validation/index.js";
import { deterministicId } from "../../src/mapping/ids.js";
import type { SourceEvent } from "../../src/mapping/sources/events.js";
import { SSD_TABLES, ssdCsvRecords, ssdJsonRecords } from "../../src/mapping/sources/ssd.js";
import { toCsv } from "../../src/synth/writers.js";
import { expectGolden } from "../support/golden.js";
import { mapAll, textSource } from "../support/map-events.js";

const DIR = "tests/golden/ssd/input";
const csvTables = (edit: (name: string, text: string) => string = (_n, t) => t) =>
  Object.fromEntries(readdirSync(DIR).map((f) => [f, textSource(edit(f, readFileSync(`${DIR}/${f}`, "utf8")))]));
const JSON_DOC = readFileSync("tests/golden/ssd/input.json", "utf8");

async function collect(events: AsyncIterable<SourceEvent>) {
  const out: SourceEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}
const records = (events: SourceEvent[]) =>
  events.flatMap((e) => (e.kind === "record" ? [{ index: e.record.index, data: e.record.data }] : []));

describe("SSD case-record mapping", () => {
  it("matches the golden output for the CSV tables, and every resource is valid", async () => {
    const { mapped, other } = await mapAll("ssd", ssdCsvRecords(csvTables()));
    expect(other).toEqual([]);
    expect(mapped.map((m) => m.issues)).toEqual([[], [], [], []]);
    for (const m of mapped)
      for (const { resource } of m.resources) expect(validateResource(resource), resource.resourceType).toEqual([]);
    expectGolden("tests/golden/ssd/expected.json", mapped);
  });

  it("maps the JSON document to the same resources as the CSV tables", async () => {
    const a = await mapAll("ssd", ssdCsvRecords(csvTables()));
    const b = await mapAll("ssd", ssdJsonRecords(textSource(JSON_DOC)));
    expect(b.other).toEqual([]);
    expect(b.mapped.map((m) => m.resources)).toEqual(a.mapped.map((m) => m.resources));
    expect(b.mapped.map((m) => m.key)).toEqual(["201/CH0001", "201/CH0002", "201/CH0003", "201/M0001"]);
  });

  it("names the child's Patient as the CIN census does (LA and LAchildID), so both sources address one Patient", async () => {
    const { mapped } = await mapAll("ssd", ssdCsvRecords(csvTables()));
    const patient = mapped[0]?.resources.find((r) => r.rule === "child")?.resource;
    expect(patient?.id).toBe(deterministicId("cin", "Patient", ["child", "201", "CH0001"]));
    expect(patient?.identifier).toContainEqual({
      system: "https://think-family-gateway.example/fhir/Id/cin-la-child/201",
      value: "CH0001",
    });
    // The mother's RelatedPerson is about her child CH0003, and points back to her own Patient.
    const mother = mapped[3]?.resources.find((r) => r.rule === "mother")?.resource as Record<string, unknown>;
    expect(mother.patient).toEqual({
      reference: `Patient/${deterministicId("cin", "Patient", ["child", "201", "CH0003"])}`,
    });
  });

  it("maps a looked-after episode to TFG-LookedAfterEpisode, which requires the looked-after type", async () => {
    const { mapped } = await mapAll("ssd", ssdCsvRecords(csvTables()));
    const cla = mapped[1]?.resources.find((r) => r.rule === "cla-episode")?.resource as Record<string, unknown>;
    expect(cla.status).toBe("active");
    expect(validateResource(cla)).toEqual([]);
    const wrongType = {
      ...cla,
      type: [
        {
          coding: [
            { system: "https://think-family-gateway.example/fhir/CodeSystem/episode-type", code: "child-in-need" },
          ],
        },
      ],
    };
    expect(validateResource(wrongType).length).toBeGreaterThan(0);
  });

  it("picks the allocated worker open at the end of the episode, from the involvements of its referral", async () => {
    const { mapped } = await mapAll("ssd", ssdCsvRecords(csvTables()));
    const episode = mapped[0]?.resources.find((r) => r.rule === "cin-episode")?.resource as Record<string, unknown>;
    expect(episode.careManager).toEqual({
      reference: `Practitioner/${deterministicId("ssd", "Practitioner", ["ssd-professional", "201", "W2"])}`,
    });
  });

  it.each([
    ["ssd_cin_episodes.csv", "2025-01-05,N1", "2025-13-05,N1", "ssd_cin_episodes.csv row 2, column cine_referral_date"],
    ["ssd_person.csv", "M,MWBA", "M,XXXX", "ssd_person.csv row 3, column pers_ethnicity"],
    ["ssd_person.csv", "9990000018", "9990000019", "ssd_person.csv row 2, column pers_single_unique_id"],
    ["ssd_disability.csv", "D1,CH0001,LD", "D1,CH0001,LDX", "ssd_disability.csv row 2, column disa_disability_code"],
    [
      "ssd_cp_plans.csv",
      "Neglect,Multiple",
      "Neglect,Unheard of",
      "ssd_cp_plans.csv row 2, column cppl_cp_plan_latest_category",
    ],
    ["tfg_related_people.csv", "P502,,Gus", "P502,,Gus", undefined],
    ["tfg_related_people.csv", "mother,Y,Y", "aunt,Y,Y", "tfg_related_people.csv row 2, column relp_relationship"],
    [
      "ssd_address.csv",
      '""UPRN"":""100000000001""',
      '""UPRN"":""1000000000011""',
      "ssd_address.csv row 2, column addr_address_json (UPRN)",
    ],
  ])("rejects a bad value in %s with its table, row and column", async (file, from, to, where) => {
    const { mapped } = await mapAll("ssd", ssdCsvRecords(csvTables((n, t) => (n === file ? t.replace(from, to) : t))));
    const errors = mapped.flatMap((m) => m.issues.filter((i) => i.severity === "error"));
    if (where === undefined) return expect(errors).toEqual([]);
    expect(errors.flatMap((i) => i.expression)).toContain(where);
    // The record is rejected whole: nothing of it is produced.
    expect(mapped.find((m) => m.issues.some((i) => i.severity === "error"))?.resources).toEqual([]);
    // Messages name the field and the rule, never the value.
    for (const i of errors) expect(i.diagnostics).not.toContain(to.split(",")[0]?.replaceAll('"', ""));
  });

  it("rejects a row of a child the extract does not hold, and a JSON column that is not a JSON object", async () => {
    const events = await collect(
      ssdCsvRecords(
        csvTables((n, t) =>
          n === "ssd_disability.csv"
            ? `${t}D9,NOBODY,LD\n`
            : n === "ssd_address.csv"
              ? t.replace('"{""ROOM""', '"{""ROOM"" oops')
              : t,
        ),
      ),
    );
    const broken = events.filter((e) => e.kind === "broken") as Extract<SourceEvent, { kind: "broken" }>[];
    expect(broken.flatMap((b) => b.issues.flatMap((i) => i.expression))).toEqual([
      "ssd_disability.csv row 5, column disa_person_id",
      "ssd_address.csv row 2, column addr_address_json",
    ]);
  });

  it("stops a file without tfg_extract, or with a table SSD does not have", async () => {
    const without = await collect(ssdJsonRecords(textSource('{"ssd_person": []}')));
    expect(without.map((e) => e.kind)).toEqual(["fatal"]);
    const unknown = await collect(
      ssdJsonRecords(textSource('{"tfg_extract": [{"la_code": "201"}], "ssd_people": []}')),
    );
    expect(unknown.map((e) => e.kind)).toEqual(["fatal"]);
  });

  it("reports what SSD allows to be absent as missing needed fields, not as rejections", async () => {
    const { mapped } = await mapAll("ssd", ssdCsvRecords(csvTables()));
    expect(mapped[2]?.issues).toEqual([]);
    expect(mapped[2]?.missing).toEqual(["ssd_person.pers_single_unique_id", "ssd_person.pers_forename"]);
  });
});

// Property: random rows of random tables, written as CSV tables and as one JSON document, shuffled into any table
// order, give the same records (same data, same order of people).
const id = fc.stringMatching(/^[A-Z][0-9]{1,4}$/);
const cell = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 12 }),
  fc.constantFrom("2025-01-01", "Y", "N", 'a "q", b\nc'),
);
const TABLES = Object.keys(SSD_TABLES).filter((t) => t !== "tfg_extract" && t !== "ssd_professionals");
const extract = fc.record({
  people: fc.uniqueArray(id, { minLength: 1, maxLength: 5 }),
  rows: fc.array(fc.record({ table: fc.constantFrom(...TABLES), who: fc.nat(4), a: cell, b: cell }), { maxLength: 15 }),
  order: fc.array(fc.nat(100), { minLength: 12, maxLength: 12 }),
});

describe("SSD reader (property)", () => {
  it("gives the same records from CSV tables and the JSON document, in any table order", async () => {
    await fc.assert(
      fc.asyncProperty(extract, async ({ people, rows, order }) => {
        const tables: Record<string, Record<string, string>[]> = { tfg_extract: [{ la_code: "201" }] };
        tables.ssd_person = people.map((p) => ({ pers_person_id: p, pers_forename: `F${p}` }));
        for (const r of rows) {
          if (r.table === "ssd_person") continue;
          const col = SSD_TABLES[r.table as keyof typeof SSD_TABLES].person as string;
          const who = people[r.who % people.length] as string;
          const prefix = col.split("_")[0] as string;
          const list = tables[r.table] ?? [];
          tables[r.table] = list;
          list.push({ [col]: who, [`${prefix}_a`]: r.a, [`${prefix}_b`]: r.b });
        }
        const names = Object.keys(tables).sort(
          (x, y) => (order[Object.keys(SSD_TABLES).indexOf(x)] ?? 0) - (order[Object.keys(SSD_TABLES).indexOf(y)] ?? 0),
        );
        const csv: Record<string, AsyncIterable<string>> = {};
        const doc: Record<string, unknown> = {};
        for (const n of names) {
          const list = tables[n] ?? [];
          const columns = [...new Set(list.flatMap((r) => Object.keys(r)))];
          csv[`${n}.csv`] = textSource(toCsv(columns.length ? columns : ["x"], list)) as AsyncIterable<string>;
          doc[n] = list.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== "")));
        }
        const a = records(await collect(ssdCsvRecords(csv)));
        const b = records(await collect(ssdJsonRecords(textSource(JSON.stringify(doc)))));
        expect(b.map((r) => r.data)).toEqual(a.map((r) => r.data));
        expect(a.map((r) => (r.data.ssd_person as { pers_person_id: string }).pers_person_id)).toEqual(people);
      }),
      { numRuns: 150 },
    );
  });
});
