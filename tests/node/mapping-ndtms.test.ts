// NDTMS mapping: golden file (input CSV → resources and issues), parental status table, early help items, nationality, coverage,
// and the fields kept since 1.2.0 (referral source, areas, GP practice, substance and alcohol use, coded client items).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { codeSystemUrl, HL7, LOCAL_ID, ODS_ORGANIZATION_SYSTEM, TFG_BASE } from "../../src/fhir/canonical.js";
import { validateResource } from "../../src/fhir/validation/index.js";
import type { MappedRecord } from "../../src/mapping/engine.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { expectGolden } from "../support/golden.js";

const HEADER = "FINITIAL,SINITIAL,DOB,SEX,REFLD,AGNCY,CLIENTID,EPISODID,CONSENT,PRNTSTAT,CHILDWTH,PREGNANT";

async function mapCsv(csv: string): Promise<{ mapped: MappedRecord[]; other: unknown[] }> {
  const mapping = mappingFor("ndtms");
  const mapped: MappedRecord[] = [];
  const other: unknown[] = [];
  for await (const e of ndtmsRecords(
    (async function* () {
      yield csv;
    })(),
  )) {
    if (e.kind === "record") mapped.push(await mapping.map(e.record));
    else other.push(e);
  }
  return { mapped, other };
}

const parentalStatus = (m: MappedRecord) =>
  m.resources.find((r) => r.rule === "parental-status")?.resource as
    | {
        valueCodeableConcept: { coding: { system: string; code: string }[] };
        component?: { code: { coding: { code: string }[] }; valueInteger?: number }[];
      }
    | undefined;

describe("NDTMS mapping", () => {
  it("matches the golden output for tests/golden/ndtms/input.csv", async () => {
    const { mapped, other } = await mapCsv(readFileSync("tests/golden/ndtms/input.csv", "utf8"));
    expect(other).toEqual([]);
    expectGolden("tests/golden/ndtms/expected.json", mapped);
  });

  it.each([
    ["11", "children-in-household"],
    ["12", "children-in-household"],
    ["13", "children-elsewhere"],
    ["14", "no-children"],
    ["15", "declined"],
    ["", "not-recorded"],
    ["NA", "not-recorded"],
  ])("PRNTSTAT %j → parental status %s (never no-children for a blank)", async (prntstat, state) => {
    const { mapped } = await mapCsv(`${HEADER}\nA,B,1980-01-01,1,2026-01-01,N0001,C1,E1,Y,${prntstat},NA,NA\n`);
    expect(mapped[0]?.issues).toEqual([]);
    const codings = parentalStatus(mapped[0] as MappedRecord)?.valueCodeableConcept.coding ?? [];
    expect(codings[0]).toEqual({
      system: "https://think-family-gateway.example/fhir/CodeSystem/parental-status",
      code: state,
    });
    if (prntstat && prntstat !== "NA") expect(codings[1]?.code).toBe(prntstat);
    else expect(codings).toHaveLength(1);
  });

  it("keeps CHILDWTH and PREGNANT as components", async () => {
    const { mapped } = await mapCsv(`${HEADER}\nA,B,1980-01-01,2,2026-01-01,N0001,C1,E1,Y,12,3,Y\n`);
    const comps = parentalStatus(mapped[0] as MappedRecord)?.component ?? [];
    expect(comps.map((c) => c.code.coding[0]?.code)).toEqual(["children-in-household-count", "pregnancy-status"]);
    expect(comps[0]?.valueInteger).toBe(3);
  });

  const EH_HEADER = `${HEADER},EHCSC2,EHCSC3,NATION`;
  const ehRow = (ehcsc2: string, ehcsc3: string, nation = "NA") =>
    `${EH_HEADER}\nA,B,1980-01-01,2,2026-01-01,N0001,C1,E1,Y,14,NA,NA,${ehcsc2},${ehcsc3},${nation}\n`;
  type Obs = {
    code: { coding: { code: string }[] };
    subject: { reference: string };
    extension: { url: string; valueReference: { reference: string } }[];
    valueCodeableConcept: { coding: { system: string; code: string }[] };
  };

  it.each([
    ["1", "2", ["ndtms-ehcsc2=1", "ndtms-ehcsc3=2"]],
    ["NA", "NA", []],
    ["", "", []],
    ["  ", "NA", []],
    ["NA", "07", ["ndtms-ehcsc3=07"]],
    ["Y", "", ["ndtms-ehcsc2=Y"]],
    ["EH CP", "NA", ["ndtms-ehcsc2=EH CP"]],
  ])("EHCSC2 %j, EHCSC3 %j → %j (NA or blank: no Observation; the code is kept as sent)", async (a, b, expected) => {
    const { mapped } = await mapCsv(ehRow(a, b));
    const m = mapped[0] as MappedRecord;
    expect(m.issues).toEqual([]);
    const items = m.resources.filter((r) => r.rule.startsWith("early-help-")).map((r) => r.resource as unknown as Obs);
    expect(items.map((o) => `${o.code.coding[0]?.code}=${o.valueCodeableConcept.coding[0]?.code}`)).toEqual(expected);
    const patient = m.resources.find((r) => r.rule === "patient")?.resource;
    const episode = m.resources.find((r) => r.rule === "episode")?.resource;
    for (const o of items) {
      expect(o.valueCodeableConcept.coding).toEqual([
        { system: codeSystemUrl("ndtms-ehcsc"), code: expect.any(String) },
      ]);
      expect(o.subject.reference).toBe(`Patient/${patient?.id}`);
      expect(o.extension).toEqual([
        { url: HL7.episodeOfCareExtension, valueReference: { reference: `EpisodeOfCare/${episode?.id}` } },
      ]);
    }
    for (const { resource } of m.resources) expect(validateResource(resource)).toEqual([]);
    expect(m.unmapped).toEqual([]);
  });

  it("rejects an early help item that cannot be a code, at its row and column, without quoting it", async () => {
    const { mapped } = await mapCsv(ehRow("Qz  x", "NA"));
    expect(mapped[0]?.resources).toEqual([]);
    expect(mapped[0]?.issues).toEqual([
      {
        severity: "error",
        code: "value",
        diagnostics: "EHCSC2 is not in the expected format",
        expression: ["row 2, column EHCSC2"],
      },
    ]);
  });

  it.each([
    ["GBR", "GBR"],
    ["POL", "POL"],
    ["NA", undefined],
    ["", undefined],
  ])("NATION %j → patient-nationality %j (ISO 3166)", async (nation, code) => {
    const { mapped } = await mapCsv(ehRow("NA", "NA", nation));
    const patient = mapped[0]?.resources.find((r) => r.rule === "patient")?.resource as unknown as {
      extension: { url: string; extension?: unknown[] }[];
    };
    const nationality = patient.extension.filter((e) => e.url === HL7.nationalityExtension);
    expect(nationality).toEqual(
      code
        ? [
            {
              url: HL7.nationalityExtension,
              extension: [{ url: "code", valueCodeableConcept: { coding: [{ system: HL7.iso3166, code }] } }],
            },
          ]
        : [],
    );
    expect(validateResource(patient)).toEqual([]);
  });

  it("rejects an impossible date with the row and column, and an under-18 client", async () => {
    const { mapped } = await mapCsv(
      `${HEADER}\nA,B,1980-02-31,1,2026-01-01,N0001,C1,E1,Y,14,NA,NA\nA,B,2015-01-01,1,2026-01-01,N0001,C2,E1,Y,14,NA,NA\n`,
    );
    expect(mapped[0]?.resources).toEqual([]);
    expect(mapped[0]?.issues.map((i) => i.expression?.[0])).toEqual(["row 2, column DOB"]);
    expect(mapped[1]?.issues[0]?.diagnostics).toMatch(/at least 18/);
  });

  it("never puts a source value in an issue message", async () => {
    const { mapped } = await mapCsv(`${HEADER}\nA,B,1980-01-01,7,2026-01-01,N0001,C1,E1,Y,99,-4,maybe\n`);
    const text = JSON.stringify(mapped[0]?.issues);
    expect(mapped[0]?.issues.length).toBe(4);
    for (const v of ["99", "-4", "maybe", '"7"']) expect(text).not.toContain(v);
  });
});

describe("NDTMS fields kept since mapping 1.2.0", () => {
  /** One row with the base columns and `extra` columns (values as the CSV has them). */
  const rowWith = (extra: Record<string, string>) => {
    const cols = Object.keys(extra);
    return `${HEADER}${cols.map((c) => `,${c}`).join("")}\nA,B,1980-01-01,2,2026-01-01,N0001,C1,E1,Y,14,NA,NA${cols
      .map((c) => `,${extra[c]}`)
      .join("")}\n`;
  };
  const one = async (extra: Record<string, string>) => {
    const { mapped, other } = await mapCsv(rowWith(extra));
    expect(other).toEqual([]);
    const m = mapped[0] as MappedRecord;
    expect(m.issues).toEqual([]);
    for (const { resource } of m.resources) expect(validateResource(resource)).toEqual([]);
    expect(m.unmapped).toEqual([]);
    return m;
  };
  const byRule = (m: MappedRecord, rule: string) =>
    m.resources.find((r) => r.rule === rule)?.resource as Json | undefined;
  type Json = Record<string, unknown> & { id?: string };
  type Coding = { system: string; code: string };
  type Comp = {
    code: { coding: Coding[] };
    valueInteger?: number;
    valueQuantity?: unknown;
    valueCodeableConcept?: { coding: Coding[] };
  };

  it.each([
    ["PREVTR", "Y", "previous-treatment", "ndtms-prevtr", "Y"],
    ["PREVTR", "n", "previous-treatment", "ndtms-prevtr", "n"],
    ["PREVTR", "02", "previous-treatment", "ndtms-prevtr", "02"],
    ["PREVTR", "NA", "previous-treatment", "ndtms-prevtr", undefined],
    ["PREVTR", "", "previous-treatment", "ndtms-prevtr", undefined],
    ["ACCMNEED", "1", "accommodation-need", "ndtms-accmneed", "1"],
    ["ACCMNEED", "3", "accommodation-need", "ndtms-accmneed", "3"],
    ["ACCMNEED", "NA", "accommodation-need", "ndtms-accmneed", undefined],
    ["ACCMNEED", " ", "accommodation-need", "ndtms-accmneed", undefined],
    ["INJSTAT", "C", "injecting-status", "ndtms-injstat", "C"],
    ["INJSTAT", "z", "injecting-status", "ndtms-injstat", "Z"],
    ["INJSTAT", "NA", "injecting-status", "ndtms-injstat", undefined],
    ["DUALDIAG", "Y", "dual-diagnosis", "ndtms-dualdiag", "Y"],
    ["DUALDIAG", "2", "dual-diagnosis", "ndtms-dualdiag", "2"],
    ["DUALDIAG", "", "dual-diagnosis", "ndtms-dualdiag", undefined],
  ])("%s %j → TFG-NdtmsClientItem %s = %s#%s (NA or blank: none)", async (column, value, item, system, code) => {
    const m = await one({ [column]: value });
    const items = m.resources.filter((r) => r.rule.startsWith("client-item-")).map((r) => r.resource as Json);
    if (code === undefined) {
      expect(items).toEqual([]);
      return;
    }
    expect(items).toHaveLength(1);
    const obs = items[0] as Json;
    expect((obs.code as { coding: Coding[] }).coding[0]?.code).toBe(item);
    expect(obs.valueCodeableConcept).toEqual({ coding: [{ system: codeSystemUrl(system), code }] });
    expect(obs.subject).toEqual({ reference: `Patient/${byRule(m, "patient")?.id}` });
    expect(obs.extension).toEqual([
      { url: HL7.episodeOfCareExtension, valueReference: { reference: `EpisodeOfCare/${byRule(m, "episode")?.id}` } },
    ]);
  });

  it.each([
    ["4", "4"],
    ["11", "11"],
    ["99", "99"],
    ["NA", undefined],
    ["", undefined],
  ])("RFLS %j → a TFG-TreatmentReferral with referral source %j, the episode's referralRequest", async (rfls, code) => {
    const m = await one({ RFLS: rfls });
    const referral = byRule(m, "treatment-referral");
    const episode = byRule(m, "episode") as Json;
    if (code === undefined) {
      expect(referral).toBeUndefined();
      expect(episode.referralRequest).toBeUndefined();
      return;
    }
    expect(referral?.extension).toEqual([
      {
        url: `${TFG_BASE}/StructureDefinition/referral-source`,
        valueCodeableConcept: { coding: [{ system: codeSystemUrl("ndtms-referral-source"), code }] },
      },
    ]);
    expect(referral?.authoredOn).toBe("2026-01-01");
    expect(referral?.performer).toEqual([{ identifier: { system: LOCAL_ID.ndtmsAgency, value: "N0001" } }]);
    expect(episode.referralRequest).toEqual([{ reference: `ServiceRequest/${referral?.id}` }]);
  });

  it.each([
    ["DAT", "Z91", LOCAL_ID.ndtmsDat],
    ["PCT", "5KL", ODS_ORGANIZATION_SYSTEM],
    ["LA", "00CM", LOCAL_ID.ndtmsLa],
    ["UTLA", "E99999991", LOCAL_ID.ndtmsUtla],
  ])(
    "%s %j → an area-of-residence reference by identifier on the episode (NA: none)",
    async (column, value, system) => {
      const areas = (m: MappedRecord) =>
        ((byRule(m, "episode")?.extension as { url: string; valueReference?: unknown }[]) ?? []).filter(
          (e) => e.url === `${TFG_BASE}/StructureDefinition/area-of-residence`,
        );
      expect(areas(await one({ [column]: value }))).toEqual([
        { url: `${TFG_BASE}/StructureDefinition/area-of-residence`, valueReference: { identifier: { system, value } } },
      ]);
      expect(areas(await one({ [column]: "NA" }))).toEqual([]);
    },
  );

  it.each([
    ["Z99001", [{ type: "Organization", identifier: { system: ODS_ORGANIZATION_SYSTEM, value: "Z99001" } }]],
    ["NA", undefined],
    ["", undefined],
  ])("GPPTCE %j → the client's generalPractitioner %j (ODS code)", async (gp, expected) => {
    expect(byRule(await one({ GPPTCE: gp }), "patient")?.generalPractitioner).toEqual(expected);
  });

  const components = (obs: Json | undefined) =>
    ((obs?.component as Comp[] | undefined) ?? []).map(
      (c) =>
        `${c.code.coding[0]?.code}=${c.valueInteger ?? (c.valueQuantity as { value?: number } | undefined)?.value ?? c.valueCodeableConcept?.coding[0]?.code}`,
    );

  it.each([
    ["1011", "19", "1", ["age-at-first-use=19", "route-of-use=1"]],
    ["7000", "NA", "4", ["route-of-use=4"]],
    ["5000", "14", "", ["age-at-first-use=14"]],
    ["1011", "NA", "NA", undefined],
  ])("DRUG1 %s, DRUG1AGE %j, ROUTE %j → TFG-ProblemSubstanceUse components %j", async (drug, age, route, expected) => {
    const m = await one({ DRUG1: drug, DRUG1AGE: age, ROUTE: route });
    const obs = byRule(m, "problem-substance-use");
    if (expected === undefined) {
      expect(obs).toBeUndefined();
      return;
    }
    expect(obs?.valueCodeableConcept).toEqual({ coding: [{ system: codeSystemUrl("ndtms-drug"), code: drug }] });
    expect(components(obs)).toEqual(expected);
    if (age !== "NA" && age !== "")
      expect((obs?.component as Comp[] | undefined)?.[0]?.valueQuantity).toEqual({
        value: Number(age),
        unit: "years",
        system: HL7.ucum,
        code: "a",
      });
  });

  it("keeps age at first use and route without DRUG1, with the substance marked unknown", async () => {
    const obs = byRule(await one({ DRUG1AGE: "16", ROUTE: "3" }), "problem-substance-use");
    expect(obs?.valueCodeableConcept).toBeUndefined();
    expect(obs?.dataAbsentReason).toEqual({
      coding: [{ system: HL7.dataAbsentReason, code: "unknown", display: "Unknown" }],
    });
    expect(components(obs)).toEqual(["age-at-first-use=16", "route-of-use=3"]);
  });

  it.each([
    ["0", "NA", ["drinking-days=0"]],
    ["12", "30", ["drinking-days=12", "alcohol-units=30"]],
    ["", "8", ["alcohol-units=8"]],
    ["NA", "NA", undefined],
  ])("ALCDDAYS %j, ALCUNITS %j → TFG-AlcoholUse components %j (0 days is an answer)", async (days, units, expected) => {
    const obs = byRule(await one({ ALCDDAYS: days, ALCUNITS: units }), "alcohol-use");
    if (expected === undefined) expect(obs).toBeUndefined();
    else {
      expect(components(obs)).toEqual(expected);
      expect(obs?.valueCodeableConcept).toBeUndefined();
    }
  });

  it.each([
    ["RFLS", "Qz  x", "RFLS is not in the expected format"],
    ["DAT", "Qz x", "DAT is not in the expected format"],
    ["GPPTCE", "Qz-01", "GPPTCE is not in the expected format"],
    ["ALCDDAYS", "29", "ALCDDAYS is outside 0–28"],
    ["INJSTAT", "Qz  x", "INJSTAT is not a code this field allows"],
  ])("rejects %s %j at its row and column without quoting it", async (column, value, diagnostics) => {
    const { mapped } = await mapCsv(rowWith({ [column]: value }));
    expect(mapped[0]?.resources).toEqual([]);
    expect(mapped[0]?.issues).toEqual([
      { severity: "error", code: "value", diagnostics, expression: [`row 2, column ${column}`] },
    ]);
    expect(JSON.stringify(mapped[0]?.issues)).not.toContain(value);
  });

  it.each([
    ["ACCMNEED", "7", "client-item-accmneed"],
    ["INJSTAT", "Qz", "client-item-injstat"],
    ["ROUTE", "6", "problem-substance-use"],
  ])(
    "keeps %s %j outside its provisional list as sent, with a warning at its row and column",
    async (column, value, rule) => {
      const { mapped } = await mapCsv(rowWith({ [column]: value }));
      const m = mapped[0] as MappedRecord;
      expect(m.issues).toEqual([
        {
          severity: "warning",
          code: "code-invalid",
          diagnostics: `${column} is not in the provisional code list; kept as sent`,
          expression: [`row 2, column ${column}`],
        },
      ]);
      expect(JSON.stringify(m.issues)).not.toContain(value);
      const produced = m.resources.find((r) => r.rule === rule)?.resource;
      expect(JSON.stringify(produced)).toContain(`"code":"${value}"`);
      for (const { resource } of m.resources) expect(validateResource(resource)).toEqual([]);
    },
  );
});
