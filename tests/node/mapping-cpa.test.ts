// CPA mapping: golden file, the parental-status decision table, children's services involvement (Y/N/U), NHS number
// verification status (with or without a number), the local identifier's assigner, the child protection plan indication (CPP),
// and JSON / NDJSON / CSV forms (referral event tables included) mapping to the same resources.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  codeSystemUrl,
  HL7,
  LOCAL_ID,
  NHS_NUMBER_SYSTEM,
  ODS_ORGANIZATION_SYSTEM,
  UKCORE,
} from "../../src/fhir/canonical.js";
import { validateResource } from "../../src/fhir/validation/index.js";
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

  const involvement = (m: MappedRecord | undefined) =>
    (m?.resources ?? [])
      .filter((r) => r.rule === "child-services-involvement")
      .map(
        (r) =>
          r.resource as unknown as {
            subject: { reference: string };
            valueCodeableConcept?: { coding: { system: string; code: string }[] };
            valueBoolean?: boolean;
            dataAbsentReason?: { coding: { system: string; code: string }[] };
            component?: {
              code: { coding: { code: string }[] };
              valueString?: string;
              valueCodeableConcept?: unknown;
            }[];
          },
      );
  const withChild = (extra: Record<string, unknown>) =>
    base({ Household: { AssessmentDate: "2026-02-01", ChildrenQuestion: "Y", Children: [child(extra)] } });
  const YES = { system: HL7.yesNo, code: "Y", display: "Yes" };
  const NO = { system: HL7.yesNo, code: "N", display: "No" };
  const DONT_KNOW = { system: HL7.dataAbsentReason, code: "asked-unknown", display: "Don't know" };

  it.each([
    ["Y", YES],
    ["N", NO],
    ["U", DONT_KNOW],
    ["u", DONT_KNOW],
    ["TRUE", YES],
    ["0", NO],
  ])("ChildrensServicesInvolved %j → %o about the child (U is don't know, never no)", async (answer, coding) => {
    const { mapped } = await mapAllOf(
      cpaNdjsonRecords(text(JSON.stringify(withChild({ ChildrensServicesInvolved: answer })))),
    );
    const m = mapped[0] as MappedRecord;
    expect(m.issues).toEqual([]);
    const [obs, ...more] = involvement(m);
    expect(more).toEqual([]);
    expect(obs?.valueCodeableConcept?.coding).toEqual([coding]);
    expect(obs?.valueBoolean).toBeUndefined();
    expect(obs?.dataAbsentReason).toBeUndefined();
    if (answer.toUpperCase() === "U") expect(obs?.valueCodeableConcept?.coding[0]?.code).not.toBe("N");
    const childPatient = m.resources.find((r) => r.rule === "child")?.resource;
    expect(obs?.subject.reference).toBe(`Patient/${childPatient?.id}`);
    for (const { resource } of m.resources) expect(validateResource(resource)).toEqual([]);
    expect(m.unmapped).toEqual([]);
  });

  it.each([
    ["absent", {}],
    ["blank", { ChildrensServicesInvolved: "" }],
    ["null", { ChildrensServicesInvolved: null }],
    [
      "blank with blank details",
      { ChildrensServicesInvolved: " ", ChildrensServicesLA: "", ChildrensServicesType: "" },
    ],
  ])("ChildrensServicesInvolved %s → no Observation (not recorded)", async (_name, extra) => {
    const { mapped } = await mapAllOf(cpaNdjsonRecords(text(JSON.stringify(withChild(extra)))));
    expect(mapped[0]?.issues).toEqual([]);
    expect(involvement(mapped[0])).toEqual([]);
  });

  it("keeps the local authority and the type as components", async () => {
    const { mapped } = await mapAllOf(
      cpaNdjsonRecords(
        text(
          JSON.stringify(
            withChild({ ChildrensServicesInvolved: "Y", ChildrensServicesLA: "201", ChildrensServicesType: "cp" }),
          ),
        ),
      ),
    );
    const [obs] = involvement(mapped[0]);
    expect(obs?.component).toEqual([
      {
        code: { coding: [{ system: codeSystemUrl("observation-code"), code: "childrens-services-la" }] },
        valueString: "201",
      },
      {
        code: { coding: [{ system: codeSystemUrl("observation-code"), code: "childrens-services-type" }] },
        valueCodeableConcept: { coding: [{ system: codeSystemUrl("childrens-services-type"), code: "CP" }] },
      },
    ]);
  });

  it("keeps a local authority or type given without the Y/N/U answer, with no value and data absent 'unknown'", async () => {
    const { mapped } = await mapAllOf(
      cpaNdjsonRecords(text(JSON.stringify(withChild({ ChildrensServicesType: "LAC" })))),
    );
    const m = mapped[0] as MappedRecord;
    const [obs] = involvement(m);
    expect(obs?.valueCodeableConcept).toBeUndefined();
    expect(obs?.dataAbsentReason?.coding).toEqual([
      { system: HL7.dataAbsentReason, code: "unknown", display: "Unknown" },
    ]);
    expect(obs?.component?.map((c) => c.code.coding[0]?.code)).toEqual(["childrens-services-type"]);
    for (const { resource } of m.resources) expect(validateResource(resource)).toEqual([]);
    expect(m.unmapped).toEqual([]);
  });

  it("rejects an involvement answer or type outside its list, at its path, without quoting it", async () => {
    const { mapped } = await mapAllOf(
      cpaNdjsonRecords(
        text(JSON.stringify(withChild({ ChildrensServicesInvolved: "Qzmaybe", ChildrensServicesType: "Qztaf" }))),
      ),
    );
    expect(mapped[0]?.resources).toEqual([]);
    expect(mapped[0]?.issues.map((i) => [i.expression?.[0], i.diagnostics])).toEqual([
      ["line 1: Household.Children[0].ChildrensServicesInvolved", "ChildrensServicesInvolved must be Y, N or U"],
      ["line 1: Household.Children[0].ChildrensServicesType", "ChildrensServicesType is not a code this field allows"],
    ]);
    expect(JSON.stringify(mapped[0]?.issues)).not.toMatch(/Qz/);
  });

  const patientOf = (m: MappedRecord | undefined) =>
    m?.resources.find((r) => r.rule === "patient")?.resource as unknown as {
      identifier: Record<string, unknown>[];
    };
  const statusExtension = (code: string) => ({
    url: UKCORE.nhsNumberVerificationStatusExtension,
    valueCodeableConcept: { coding: [{ system: UKCORE.nhsNumberVerificationStatusEngland, code }] },
  });
  const NHS = "9997654323";

  it.each([
    [
      "a number with status 01",
      { NHSNumber: NHS, NHSNumberStatus: "01" },
      [{ extension: [statusExtension("01")], system: NHS_NUMBER_SYSTEM, value: NHS }],
    ],
    ["a number without a status", { NHSNumber: NHS }, [{ system: NHS_NUMBER_SYSTEM, value: NHS }]],
    [
      "status 03 (trace required) and no number",
      { NHSNumberStatus: "03" },
      [
        {
          extension: [statusExtension("03")],
          system: NHS_NUMBER_SYSTEM,
          _value: { extension: [{ url: HL7.dataAbsentReasonExtension, valueCode: "unknown" }] },
        },
      ],
    ],
    [
      "status 07 (not present, trace not required) and a blank number",
      { NHSNumber: "", NHSNumberStatus: "07" },
      [
        {
          extension: [statusExtension("07")],
          system: NHS_NUMBER_SYSTEM,
          _value: { extension: [{ url: HL7.dataAbsentReasonExtension, valueCode: "unknown" }] },
        },
      ],
    ],
    ["neither", {}, []],
    ["a blank status and no number", { NHSNumberStatus: "" }, []],
  ])(
    "NHS number identifier for %s (the UK Core verification status is kept, with or without a number)",
    async (_name, mpi, expected) => {
      const record = base({ MHS001MPI: { LocalPatientId: "P1", PersonBirthDate: "1980-01-01", ...mpi } });
      const { mapped } = await mapAllOf(cpaNdjsonRecords(text(JSON.stringify(record))));
      const m = mapped[0] as MappedRecord;
      expect(m.issues).toEqual([]);
      const patient = patientOf(m);
      expect(patient.identifier.filter((i) => i.system === NHS_NUMBER_SYSTEM)).toEqual(expected);
      expect(validateResource(patient)).toEqual([]);
      expect(m.unmapped).toEqual([]);
    },
  );

  it.each([
    ["RX4", { identifier: { system: ODS_ORGANIZATION_SYSTEM, value: "RX4" } }],
    ["R1A", { identifier: { system: ODS_ORGANIZATION_SYSTEM, value: "R1A" } }],
    ["", undefined],
  ])("OrgIDLocalPatientId %j → assigner %j of the local patient identifier", async (org, assigner) => {
    const record = base({ MHS001MPI: { LocalPatientId: "P1", OrgIDLocalPatientId: org } });
    const { mapped } = await mapAllOf(cpaNdjsonRecords(text(JSON.stringify(record))));
    const m = mapped[0] as MappedRecord;
    expect(m.issues).toEqual([]);
    const local = patientOf(m).identifier[0];
    expect(local).toEqual({ system: LOCAL_ID.mhsdsPatient("RX4"), value: "P1", ...(assigner ? { assigner } : {}) });
    expect(m.unmapped).toEqual([]);
  });

  it.each([
    ["3", "3"],
    ["1", "1"],
    ["x", "X"],
    ["", undefined],
  ])(
    "MHS005PatInd.CPP %j → a TFG-ChildProtectionPlanIndication %j about the patient (absent: none)",
    async (cpp, code) => {
      const record = base({ MHS005PatInd: { CPP: cpp }, Household: { AssessmentDate: "2026-02-01" } });
      const { mapped } = await mapAllOf(cpaNdjsonRecords(text(JSON.stringify(record))));
      const m = mapped[0] as MappedRecord;
      expect(m.issues).toEqual([]);
      expect(m.unmapped).toEqual([]);
      const obs = m.resources.find((r) => r.rule === "patient-child-protection-plan")?.resource;
      const patient = m.resources.find((r) => r.rule === "patient")?.resource;
      if (!code) {
        expect(obs).toBeUndefined();
        return;
      }
      expect(obs).toMatchObject({
        subject: { reference: `Patient/${patient?.id}` },
        effectiveDateTime: "2026-02-01",
        valueCodeableConcept: { coding: [{ system: codeSystemUrl("mhsds-cpp-indication"), code }] },
      });
      expect(validateResource(obs as Record<string, unknown>)).toEqual([]);
    },
  );

  it("rejects a CPP code outside the Data Dictionary list at its path", async () => {
    const { mapped } = await mapAllOf(cpaNdjsonRecords(text(JSON.stringify(base({ MHS005PatInd: { CPP: "4" } })))));
    expect(mapped[0]?.resources).toEqual([]);
    expect(mapped[0]?.issues.map((i) => i.expression?.[0])).toEqual(["line 1: MHS005PatInd.CPP"]);
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

  it("maps the CSV table form to the same resources as the JSON form (admissions and missed appointments included), with file/row/column locations", async () => {
    const doc = JSON.parse(readFileSync("tests/golden/cpa/input.json", "utf8")) as { Patients: unknown[] };
    const patients = doc.Patients.filter((p): p is Record<string, unknown> => typeof p === "object").map(
      (p): Record<string, unknown> => ({ ...p, OrgIDProv: "RX4" }),
    );
    const events = patients.flatMap((p) => (p.MHS101Referral as Record<string, unknown>[] | undefined) ?? []);
    expect(events.some((r) => r.Admissions) && events.some((r) => r.MissedAppointments)).toBe(true);
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

  it("joins referral event rows to their referral by ServiceRequestId, and locates their problems by file, row and column", async () => {
    const tables = {
      "MHS001MPI.csv": "LocalPatientId,OrgIDProv\nP1,RX4\nP2,RX4\n",
      "MHS101Referral.csv":
        "LocalPatientId,ServiceRequestId,ReferralRequestReceivedDate\nP1,SR1,2026-01-05\nP2,SR2,2026-01-05\n",
      "ReferralAdmission.csv":
        "LocalPatientId,ServiceRequestId,StartDateHospProvSpell,DischDateHospProvSpell\nP1,SR1,2026-02-01,2026-02-09\nP1,SR1,2026-13-01,\n",
      "ReferralMissedAppointment.csv":
        "LocalPatientId,ServiceRequestId,AppointmentDate\nP1,SR1,2026-03-01\nP1,SR1,2026-03-32\nP2,SR9,2026-03-01\n",
    };
    const { mapped, other } = await mapAllOf(
      cpaCsvRecords(Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, text(v)]))),
    );
    expect(mapped[0]?.issues.map((i) => i.expression?.[0])).toEqual([
      "ReferralAdmission.csv row 3, column StartDateHospProvSpell",
      "ReferralMissedAppointment.csv row 3, column AppointmentDate",
    ]);
    // An event row naming a referral the patient does not have: the record is not read, nothing quoted.
    expect(other).toMatchObject([
      {
        kind: "broken",
        issues: [
          {
            code: "structure",
            diagnostics: "No MHS101Referral row of this patient has this ServiceRequestId",
            expression: ["ReferralMissedAppointment.csv row 4, column ServiceRequestId"],
          },
        ],
      },
    ]);
  });

  it("reports a JSON syntax error without quoting the file", async () => {
    const { other } = await mapAllOf(
      cpaJsonRecords(text('{"Patients": [{"MHS001MPI": {"NHSNumber": "9997654323",}}]}')),
    );
    expect(other).toHaveLength(1);
    expect(JSON.stringify(other)).not.toContain("9997654323");
  });
});
