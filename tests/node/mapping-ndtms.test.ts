// NDTMS mapping: golden file (input CSV → resources and issues), parental status table, early help items, nationality, coverage.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { codeSystemUrl, HL7 } from "../../src/fhir/canonical.js";
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
