// CPA mapping: golden file, the parental-status decision table, and JSON / NDJSON / CSV forms mapping to the same resources.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { MappedRecord } from "../../src/mapping/engine.js";
import { cpaCsvRecords, cpaJsonRecords, cpaNdjsonRecords } from "../../src/mapping/sources/cpa.js";
import type { SourceEvent } from "../../src/mapping/sources/events.js";
import { toCpaCsvTables } from "../support/cpa-csv.js";
import { expectGolden } from "../support/golden.js";
import { mapAll, textSource } from "../support/map-events.js";

const text = textSource;
const mapAllOf = (events: AsyncIterable<SourceEvent>) => mapAll("cpa", events);

const status = (m: MappedRecord | undefined) =>
  (
    m?.resources.find((r) => r.rule === "parental-status")?.resource as
      | { valueCodeableConcept: { coding: { code: string }[] } }
      | undefined
  )?.valueCodeableConcept.coding[0]?.code;

const base = (extra: Record<string, unknown> = {}) => ({
  OrgIDProv: "RX4",
  MHS001MPI: { LocalPatientId: "P1", PersonBirthDate: "1980-01-01" },
  MHS701CPACareEpisode: [{ CPAEpisodeId: "E1", StartDateCPA: "2026-01-01" }],
  ...extra,
});
const child = (extra: Record<string, unknown>) => ({ ChildLocalId: "K", PersonBirthDate: "2015-01-01", ...extra });

describe("CPA mapping", () => {
  it("matches the golden output for tests/golden/cpa/input.json", async () => {
    const { mapped, other } = await mapAllOf(cpaJsonRecords(text(readFileSync("tests/golden/cpa/input.json", "utf8"))));
    expect(other.map((o) => o.kind)).toEqual(["broken"]);
    expectGolden("tests/golden/cpa/expected.json", mapped);
  });

  it.each([
    ["no Household section", "not-recorded", {}],
    ["Household without an answer", "not-recorded", { Household: { AssessmentDate: "2026-02-01" } }],
    [
      "ParentalResp Y but no answer and no child listed",
      "not-recorded",
      { MHS005PatInd: { ParentalResp: "Y" }, Household: {} },
    ],
    [
      "no answer, ParentalResp Y, a child lives with the patient",
      "children-in-household",
      { MHS005PatInd: { ParentalResp: "Y" }, Household: { Children: [child({ LivesWithPatient: "Y" })] } },
    ],
    ["answered N", "no-children", { Household: { ChildrenQuestion: "N" } }],
    ["declined", "declined", { Household: { ChildrenQuestion: "Z" } }],
    [
      "Y with a child living with the patient",
      "children-in-household",
      { Household: { ChildrenQuestion: "Y", Children: [child({ LivesWithPatient: "Y" })] } },
    ],
    [
      "Y with overnight contact only",
      "children-in-household",
      { Household: { ChildrenQuestion: "Y", Children: [child({ LivesWithPatient: "N", OvernightContact: "Y" })] } },
    ],
    [
      "Y with an unborn child at home",
      "children-in-household",
      {
        Household: {
          ChildrenQuestion: "Y",
          Children: [{ ChildLocalId: "U", ExpectedPersonBirthDate: "2027-03-01", LivesWithPatient: "Y" }],
        },
      },
    ],
    [
      "Y, children live elsewhere",
      "children-elsewhere",
      { Household: { ChildrenQuestion: "Y", Children: [child({ LivesWithPatient: "N" })] } },
    ],
    [
      "Y, the only child at home is an adult",
      "children-elsewhere",
      {
        Household: {
          AssessmentDate: "2026-01-01",
          ChildrenQuestion: "Y",
          Children: [child({ PersonBirthDate: "2000-01-01", LivesWithPatient: "Y" })],
        },
      },
    ],
  ])("%s → %s", async (_name, expected, extra) => {
    const { mapped } = await mapAllOf(cpaNdjsonRecords(text(JSON.stringify(base(extra)))));
    expect(mapped[0]?.issues).toEqual([]);
    expect(status(mapped[0])).toBe(expected);
  });

  it("rejects a bad NHS number check digit at its path and stores nothing for that record", async () => {
    const { mapped } = await mapAllOf(
      cpaNdjsonRecords(
        text(
          `${JSON.stringify(base())}\n${JSON.stringify(base({ MHS001MPI: { LocalPatientId: "P2", NHSNumber: "9997654324" } }))}\n`,
        ),
      ),
    );
    expect(mapped[0]?.resources.length).toBeGreaterThan(0);
    expect(mapped[1]?.resources).toEqual([]);
    expect(mapped[1]?.issues).toEqual([
      {
        severity: "error",
        code: "value",
        diagnostics: "NHSNumber fails the NHS number check digit (modulus 11)",
        expression: ["line 2: MHS001MPI.NHSNumber"],
      },
    ]);
  });

  it("maps the CSV table form to the same resources as the JSON form, with file/row/column locations", async () => {
    const doc = JSON.parse(readFileSync("tests/golden/cpa/input.json", "utf8")) as { Patients: unknown[] };
    const patients = doc.Patients.filter((p): p is Record<string, unknown> => typeof p === "object")
      .map((p) => ({ ...p, OrgIDProv: "RX4" }))
      .map((p) => {
        const { MHS101Referral, ...rest } = p as Record<string, unknown> & {
          MHS101Referral?: Record<string, unknown>[];
        };
        return MHS101Referral
          ? { ...rest, MHS101Referral: MHS101Referral.map(({ Admissions: _a, MissedAppointments: _m, ...r }) => r) }
          : rest;
      });
    const fromJson = await mapAllOf(cpaNdjsonRecords(text(patients.map((p) => JSON.stringify(p)).join("\n"))));
    const tables = Object.fromEntries(Object.entries(toCpaCsvTables(patients)).map(([k, v]) => [k, text(v)]));
    const fromCsv = await mapAllOf(cpaCsvRecords(tables));
    const ids = (r: { mapped: MappedRecord[] }) =>
      r.mapped.map((m) => m.resources.map((x) => `${x.resource.resourceType}/${x.resource.id}`).sort());
    expect(ids(fromCsv)).toEqual(ids(fromJson));
    const resources = (r: { mapped: MappedRecord[] }) => r.mapped.flatMap((m) => m.resources.map((x) => x.resource));
    expect(resources(fromCsv)).toEqual(resources(fromJson));
    const bad = fromCsv.mapped.find((m) => m.issues.length > 0);
    expect(bad?.issues[0]?.expression).toEqual(["MHS001MPI.csv row 4, column NHSNumber"]);
  });

  it("reports a JSON syntax error without quoting the file", async () => {
    const { other } = await mapAllOf(
      cpaJsonRecords(text('{"Patients": [{"MHS001MPI": {"NHSNumber": "9997654323",}}]}')),
    );
    expect(other).toHaveLength(1);
    expect(JSON.stringify(other)).not.toContain("9997654323");
  });
});
