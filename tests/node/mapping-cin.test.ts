// CIN census mapping: golden files for the 2026 (Sex) and 2024 (GenderCurrent) schemas, disabilities, UPN unknown reason,
// ICPC target date, the collection (Year, ReferenceDate) in the Provenance, safe XML handling, property test.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeSystemUrl, TFG_BASE } from "../../src/fhir/canonical.js";
import { validateResource } from "../../src/fhir/validation/index.js";
import type { MappedRecord } from "../../src/mapping/engine.js";
import { cinRecords } from "../../src/mapping/sources/cin.js";
import type { SourceEvent } from "../../src/mapping/sources/events.js";
import { expectGolden } from "../support/golden.js";
import { mapAll, textSource } from "../support/map-events.js";

const text = textSource;
const mapAllOf = (events: AsyncIterable<SourceEvent>) => mapAll("cin", events);

describe("CIN census mapping", () => {
  it.each(["2026", "2024"])("matches the golden output for the %s schema", async (year) => {
    const { mapped, other } = await mapAllOf(
      cinRecords(text(readFileSync(`tests/golden/cin/input-${year}.xml`, "utf8"))),
    );
    expect(other).toEqual([]);
    expectGolden(`tests/golden/cin/expected-${year}.json`, mapped);
  });

  it("gives the same resources for the 2024 and 2026 forms of the same children (the Provenance names the collection)", async () => {
    const a = await mapAllOf(cinRecords(text(readFileSync("tests/golden/cin/input-2026.xml", "utf8"))));
    const b = await mapAllOf(cinRecords(text(readFileSync("tests/golden/cin/input-2024.xml", "utf8"))));
    const content = (r: { mapped: MappedRecord[] }) =>
      r.mapped.map((m) =>
        m.resources.map(({ rule, resource }) => (rule === "provenance" ? { rule, target: resource.target } : resource)),
      );
    expect(content(b)).toEqual(content(a));
    expect(a.mapped.map((m) => m.key)).toEqual([
      "201/CH0001/2026/2026-03-31",
      "201/CH0002/2026/2026-03-31",
      "201/CH0003/2026/2026-03-31",
      "201/CH0004/2026/2026-03-31",
    ]);
    expect(b.mapped[0]?.key).toBe("201/CH0001/2024/2026-03-31");
  });

  it("keeps the header's Year and ReferenceDate in the Provenance: the source record is the child in one collection", async () => {
    const input = readFileSync("tests/golden/cin/input-2026.xml", "utf8");
    const provenance = async (xml: string) => {
      const { mapped } = await mapAllOf(cinRecords(text(xml)));
      const m = mapped[0] as MappedRecord;
      expect(m.unmapped).toEqual([]);
      return m.resources.find((r) => r.rule === "provenance")?.resource as unknown as {
        id: string;
        entity: { what: { identifier: { value: string } } }[];
      };
    };
    const y2026 = await provenance(input);
    expect(y2026.entity[0]?.what.identifier.value).toBe("201/CH0001/2026/2026-03-31");
    const y2027 = await provenance(
      input.replace(
        "<Year>2026</Year><ReferenceDate>2026-03-31</ReferenceDate>",
        "<Year>2027</Year><ReferenceDate>2027-03-31</ReferenceDate>",
      ),
    );
    expect(y2027.entity[0]?.what.identifier.value).toBe("201/CH0001/2027/2027-03-31");
    // A new collection has its own Provenance, so re-sending a child next year does not withdraw what this year's sent.
    expect(y2027.id).not.toBe(y2026.id);
    const none = await provenance(input.replace(/<CollectionDetails>.*<\/CollectionDetails>/, ""));
    expect(none.entity[0]?.what.identifier.value).toBe("201/CH0001/?/?");
  });

  const childIdentifiers = (xml: string) =>
    readFileSync("tests/golden/cin/input-2026.xml", "utf8").replace("<UPNunknown>UN1</UPNunknown>", xml);

  it.each([
    ["<UPNunknown>UN1</UPNunknown>", "UN1"],
    ["<UPNunknown>UN7</UPNunknown>", "UN7"],
    ["<UPNunknown>un3</UPNunknown>", "UN3"],
    ["<UPNunknown> </UPNunknown>", undefined],
    ["", undefined],
  ])("UPNunknown %s → upn-unknown-reason %j on the child (blank: none)", async (xml, code) => {
    const { mapped } = await mapAllOf(cinRecords(text(childIdentifiers(xml))));
    const m = mapped[1] as MappedRecord;
    expect(m.issues).toEqual([]);
    const child = m.resources.find((r) => r.rule === "child")?.resource as unknown as {
      extension: { url: string; valueCodeableConcept?: unknown }[];
    };
    expect(child.extension.filter((e) => e.url === `${TFG_BASE}/StructureDefinition/upn-unknown-reason`)).toEqual(
      code
        ? [
            {
              url: `${TFG_BASE}/StructureDefinition/upn-unknown-reason`,
              valueCodeableConcept: { coding: [{ system: codeSystemUrl("cin-upn-unknown"), code }] },
            },
          ]
        : [],
    );
    expect(validateResource(child)).toEqual([]);
    expect(m.unmapped).toEqual([]);
  });

  it("keeps FormerUPN as the child's old UPN identifier (searchable, not unmapped)", async () => {
    const xml = readFileSync("tests/golden/cin/input-2026.xml", "utf8").replace(
      "<UPN>A123456789012</UPN>",
      "<UPN>A123456789012</UPN><FormerUPN>B123456789018</FormerUPN>",
    );
    const { mapped } = await mapAllOf(cinRecords(text(xml)));
    const m = mapped[0] as MappedRecord;
    expect(m.issues).toEqual([]);
    expect(m.unmapped).toEqual([]);
    const child = m.resources.find((r) => r.rule === "child")?.resource as unknown as { identifier: unknown[] };
    expect(child.identifier).toContainEqual({ use: "old", system: `${TFG_BASE}/Id/dfe-upn`, value: "B123456789018" });
    expect(child.identifier).toContainEqual({ system: `${TFG_BASE}/Id/dfe-upn`, value: "A123456789012" });
    expect(validateResource(child)).toEqual([]);
  });

  it("rejects a UPNunknown outside UN1-UN7 at its element path", async () => {
    const { mapped } = await mapAllOf(cinRecords(text(childIdentifiers("<UPNunknown>UN8</UPNunknown>"))));
    expect(mapped[1]?.resources).toEqual([]);
    expect(mapped[1]?.issues).toEqual([
      {
        severity: "error",
        code: "value",
        diagnostics: "UPNunknown is not a code this field allows",
        expression: ["/Message/Children/Child[2]/ChildIdentifiers/UPNunknown"],
      },
    ]);
  });

  it.each([
    ["<InitialCPCtarget>2025-10-30</InitialCPCtarget>", "2025-10-30"],
    ["<InitialCPCtarget></InitialCPCtarget>", undefined],
    ["", undefined],
  ])("InitialCPCtarget %s → initial-cpc-target %j on the section 47 Encounter", async (xml, date) => {
    const input = readFileSync("tests/golden/cin/input-2026.xml", "utf8").replace(
      "<InitialCPCtarget>2025-10-30</InitialCPCtarget>",
      xml,
    );
    const { mapped } = await mapAllOf(cinRecords(text(input)));
    const m = mapped[0] as MappedRecord;
    expect(m.issues).toEqual([]);
    const s47 = m.resources.find((r) => r.rule === "section-47")?.resource as unknown as {
      extension: { url: string; valueDate?: string }[];
    };
    expect(s47.extension.filter((e) => e.url === `${TFG_BASE}/StructureDefinition/initial-cpc-target`)).toEqual(
      date ? [{ url: `${TFG_BASE}/StructureDefinition/initial-cpc-target`, valueDate: date }] : [],
    );
    expect(validateResource(s47)).toEqual([]);
    expect(m.unmapped).toEqual([]);
  });

  it("rejects an impossible InitialCPCtarget at its element path", async () => {
    const input = readFileSync("tests/golden/cin/input-2026.xml", "utf8").replace(
      "<InitialCPCtarget>2025-10-30</InitialCPCtarget>",
      "<InitialCPCtarget>2025-02-30</InitialCPCtarget>",
    );
    const { mapped } = await mapAllOf(cinRecords(text(input)));
    expect(mapped[0]?.resources).toEqual([]);
    expect(mapped[0]?.issues).toEqual([
      {
        severity: "error",
        code: "value",
        diagnostics: "InitialCPCtarget is not a valid date (YYYY-MM-DD)",
        expression: ["/Message/Children/Child[1]/CINdetails[1]/Section47[1]/InitialCPCtarget"],
      },
    ]);
  });

  it("rejects an invalid factor code with its element path and keeps the other children", async () => {
    const { mapped } = await mapAllOf(cinRecords(text(readFileSync("tests/golden/cin/input-2026.xml", "utf8"))));
    expect(mapped.map((m) => m.resources.length > 0)).toEqual([true, true, false, true]);
    expect(mapped[2]?.issues).toEqual([
      {
        severity: "error",
        code: "value",
        diagnostics: "AssessmentFactors is not a code this field allows",
        expression: [
          "/Message/Children/Child[3]/CINdetails[1]/Assessments[1]/FactorsIdentifiedAtAssessment/AssessmentFactors[1]",
        ],
      },
    ]);
  });

  it("keeps the A/B/C subject split of assessment factors", async () => {
    const { mapped } = await mapAllOf(cinRecords(text(readFileSync("tests/golden/cin/input-2026.xml", "utf8"))));
    const factors = (mapped[0]?.resources ?? [])
      .filter((r) => r.rule === "assessment-factor")
      .map((r) => {
        const o = r.resource as unknown as {
          valueCodeableConcept: { coding: { code: string }[] };
          component: { valueCodeableConcept: { coding: { code: string }[] } }[];
        };
        return `${o.valueCodeableConcept.coding[0]?.code}:${o.component[0]?.valueCodeableConcept.coding[0]?.code}`;
      });
    expect(factors).toEqual(["4B:parent-carer", "2B:parent-carer", "7A:child", "3C:other-household-member"]);
  });

  it.each([
    ["<Disabilities><Disability>NONE</Disability></Disabilities>", ["NONE"]],
    ["<Disabilities><Disability>AUT</Disability><Disability>hear</Disability></Disabilities>", ["AUT", "HEAR"]],
    ["<Disabilities/>", []],
    ["<Disabilities><Disability> </Disability></Disabilities>", []],
    ["", []],
  ])(
    "Disabilities %s → disability extensions %j on the child (NONE kept: it is a recorded answer)",
    async (xml, codes) => {
      const input = readFileSync("tests/golden/cin/input-2026.xml", "utf8").replace(
        "<Disabilities><Disability>NONE</Disability></Disabilities>",
        xml,
      );
      const { mapped } = await mapAllOf(cinRecords(text(input)));
      const m = mapped[0];
      expect(m?.issues).toEqual([]);
      const child = m?.resources.find((r) => r.rule === "child")?.resource as unknown as {
        extension: { url: string; valueCodeableConcept?: unknown }[];
      };
      const disabilities = child.extension.filter((e) => e.url === `${TFG_BASE}/StructureDefinition/disability`);
      expect(disabilities.map((e) => e.valueCodeableConcept)).toEqual(
        codes.map((code) => ({ coding: [{ system: codeSystemUrl("cin-disability"), code }] })),
      );
      expect(validateResource(child)).toEqual([]);
      expect(m?.unmapped).not.toContain("ChildCharacteristics.Disabilities.Disability");
    },
  );

  it("rejects a disability code outside the CIN list, at its element path", async () => {
    const input = readFileSync("tests/golden/cin/input-2026.xml", "utf8").replace(
      "<Disability>NONE</Disability>",
      "<Disability>NONE</Disability><Disability>QZX</Disability>",
    );
    const { mapped } = await mapAllOf(cinRecords(text(input)));
    expect(mapped[0]?.resources).toEqual([]);
    expect(mapped[0]?.issues).toEqual([
      {
        severity: "error",
        code: "value",
        diagnostics: "Disability is not a code this field allows",
        expression: ["/Message/Children/Child[1]/ChildCharacteristics/Disabilities/Disability[2]"],
      },
    ]);
  });

  it("rejects factor 21 combined with another factor", async () => {
    const xml = readFileSync("tests/golden/cin/input-2026.xml", "utf8").replace(
      "<AssessmentFactors>7A</AssessmentFactors>",
      "<AssessmentFactors>21</AssessmentFactors>",
    );
    const { mapped } = await mapAllOf(cinRecords(text(xml)));
    expect(mapped[0]?.issues[0]?.diagnostics).toMatch(/21 must not be combined/);
  });

  it("refuses a DOCTYPE (no DTDs, no entity expansion) before reading any child", async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Message><Children><Child><ChildIdentifiers><LAchildID>&b;</LAchildID></ChildIdentifiers></Child></Children></Message>`;
    const { mapped, other } = await mapAllOf(cinRecords(text(bomb)));
    expect(mapped).toEqual([]);
    expect(other).toEqual([
      {
        kind: "fatal",
        issue: expect.objectContaining({ diagnostics: expect.stringMatching(/DOCTYPE is not accepted/) }),
      },
    ]);
  });

  it("refuses an undefined entity and a wrong root element", async () => {
    const a = await mapAllOf(cinRecords(text("<Message><Children><Child><X>&ext;</X></Child></Children></Message>")));
    expect(a.other[0]?.kind).toBe("fatal");
    const b = await mapAllOf(cinRecords(text("<Other/>")));
    expect(b.other[0]).toMatchObject({ kind: "fatal", issue: { diagnostics: "The root element must be Message" } });
  });

  it("turns arbitrary bytes into records or one fatal issue, never an exception", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ maxLength: 300 }).map((s) => `<Message><Children><Child>${s}</Child></Children></Message>`),
        ),
        async (input) => {
          const { other } = await mapAllOf(cinRecords(text(input)));
          expect(other.filter((o) => o.kind === "fatal").length).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
