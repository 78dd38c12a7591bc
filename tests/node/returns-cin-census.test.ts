// The CIN census returns over synthetic populations for 2024, 2025 and 2026: every statutory and analytic file
// validates against the XSD of its year (xmllint-wasm), the analytic one carries no identifier of the input
// (no UPN, no full birth date, pseudonymised LAchildIDs), and the children match the source census.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateXML } from "xmllint-wasm";
import { prepareWrite } from "../../src/fhir/resource-service.js";
import { buildReturn } from "../../src/returns/build.js";
import type { BuiltReturn } from "../../src/returns/port.js";
import type { CinYear } from "../../src/synth/config.js";
import {
  allOf,
  type Identifiers,
  identifiersIn,
  type Loaded,
  leaks,
  loadPopulation,
  testKeys,
} from "./returns-fixtures.js";

const xsd = (year: CinYear) => ({
  fileName: `CIN_schema_${year}.xsd`,
  contents: readFileSync(new URL(`../../vendor/cin-census/CIN_schema_${year}.xsd`, import.meta.url), "utf8"),
});
const decode = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const YEARS: CinYear[] = [2024, 2025, 2026];

const loaded = new Map<CinYear, Loaded>();
const built = new Map<string, BuiltReturn>();
let ids2026: Identifiers;

beforeAll(async () => {
  for (const year of YEARS) {
    const l = await loadPopulation(120, `returns-cin-${year}`, year);
    loaded.set(year, l);
    for (const kind of ["cin-census", "cin-census-analytic"] as const)
      for (const la of ["991", "992"])
        built.set(
          `${kind}/${la}/${year}`,
          await buildReturn(
            { kind, period: { start: `${year - 1}-04-01`, end: `${year}-03-31` }, scope: { la, year } },
            { store: l.store, keys: testKeys },
          ),
        );
  }
  ids2026 = await identifiersIn(loaded.get(2026)?.store as Loaded["store"]);
}, 400_000);
afterAll(async () => {
  for (const l of loaded.values()) await l.store.close();
});

describe("CIN census returns", () => {
  it.each(YEARS)("every file of %i validates against the XSD of its year", async (year) => {
    expect(loaded.get(year)?.rejected).toBe(0);
    for (const kind of ["cin-census", "cin-census-analytic"])
      for (const la of ["991", "992"]) {
        const b = built.get(`${kind}/${la}/${year}`) as BuiltReturn;
        const xml = decode(b.files[0]?.bytes);
        const v = await validateXML({ xml: [{ fileName: "c.xml", contents: xml }], schema: [xsd(year)] });
        expect(
          v.errors.slice(0, 3).map((e) => e.message),
          `${kind} ${la}`,
        ).toEqual([]);
        expect(v.valid).toBe(true);
        expect(xml).toContain(`<ReferenceDate>${year}-03-31</ReferenceDate>`);
        expect(xml).toContain(year === 2024 ? "<GenderCurrent>" : "<Sex>");
        expect(xml).not.toContain(year === 2024 ? "<Sex>" : "<GenderCurrent>");
        expect(b.risk.recordsOut).toBeGreaterThan(0);
      }
  });

  it("releases the source census's children (statutory: the same LAchildIDs as the file sent)", () => {
    const l = loaded.get(2026) as Loaded;
    const source = l.files.find((f) => f.path.startsWith("cin/991"))?.content ?? "";
    const sent = [...source.matchAll(/<LAchildID>([^<]+)<\/LAchildID>/g)].map((m) => m[1]).sort();
    const xml = decode(built.get("cin-census/991/2026")?.files[0]?.bytes);
    const out = [...xml.matchAll(/<LAchildID>([^<]+)<\/LAchildID>/g)].map((m) => m[1]).sort();
    const risk = built.get("cin-census/991/2026")?.risk;
    // The clean synthetic census passes every rule: the same children go out as came in.
    expect(risk?.recordsOut).toBe(sent.length);
    expect(out).toEqual(sent);
  });

  it("the analytic variant: ids keyed-hashed, no UPN, birth dates on the first of the month, k reported", () => {
    for (const la of ["991", "992"]) {
      const b = built.get(`cin-census-analytic/${la}/2026`) as BuiltReturn;
      const xml = decode(b.files[0]?.bytes);
      expect(xml).not.toContain("<UPN>");
      for (const m of xml.matchAll(/<LAchildID>([^<]+)<\/LAchildID>/g)) expect(m[1]).toMatch(/^cin-an-k1_[\w-]{22}$/);
      for (const m of xml.matchAll(/<(?:Expected)?PersonBirthDate>([^<]+)</g)) expect(m[1]).toMatch(/-01$/);
      expect(b.risk.keyId).toBe("cin-an-k1");
      expect(b.risk.k).toBeGreaterThanOrEqual(1);
      expect(leaks(xml, ids2026)).toEqual({});
      expect(leaks(JSON.stringify(b.risk), ids2026)).toEqual({});
    }
  });

  it("the statutory variant carries the UPNs (the census requires them)", () => {
    const xml = decode(built.get("cin-census/991/2026")?.files[0]?.bytes);
    expect(xml).toContain("<UPN>");
  });

  it("refuses a year without a schema, and an analytic build without a key", async () => {
    const store = (loaded.get(2026) as Loaded).store;
    await expect(
      buildReturn(
        { kind: "cin-census", period: { start: "2022-04-01", end: "2023-03-31" }, scope: { la: "991", year: 2023 } },
        { store, keys: testKeys },
      ),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      buildReturn(
        {
          kind: "cin-census-analytic",
          period: { start: "2025-04-01", end: "2026-03-31" },
          scope: { la: "991", year: 2026 },
        },
        { store, keys: { keyFor: () => undefined } },
      ),
    ).rejects.toMatchObject({ status: 400 });
  });

  it("a child failing a DfE rule is left out of the file and counted in the risk report", async () => {
    const store = (loaded.get(2026) as Loaded).store;
    type J = Record<string, unknown> & { id: string; identifier: { system: string; value: string }[] };
    const child = (await allOf(store, "Patient")).find((p) =>
      (p.identifier as J["identifier"] | undefined)?.some((i) => i.system.endsWith("/dfe-upn")),
    ) as J;
    const la = child.identifier.find((i) => i.system.includes("/cin-la-child/"));
    const upn = child.identifier.find((i) => i.system.endsWith("/dfe-upn")) as { value: string };
    const broken = {
      ...child,
      identifier: child.identifier.map((i) =>
        i === upn ? { ...i, value: `${upn.value[0] === "A" ? "B" : "A"}${upn.value.slice(1)}` } : i,
      ),
    };
    const current = await store.read("Patient", child.id);
    await store.commit({
      resources: [
        prepareWrite("Patient", child.id, (current?.versionId ?? 1) + 1, "2026-04-21T00:00:00.000Z", {
          ...broken,
          resourceType: "Patient",
        }),
      ],
    });
    const laCode = la?.system.split("/").at(-1) as string;
    const b = await buildReturn(
      { kind: "cin-census", period: { start: "2025-04-01", end: "2026-03-31" }, scope: { la: laCode, year: 2026 } },
      { store, keys: testKeys },
    );
    const xml = decode(b.files[0]?.bytes);
    expect(xml).not.toContain(`<LAchildID>${la?.value}</LAchildID>`);
    expect(b.risk.recordsOut).toBe((built.get(`cin-census/${laCode}/2026`)?.risk.recordsOut ?? 0) - 1);
    expect(b.risk.notes.some((n) => n.includes("check letter") && n.includes(": 1"))).toBe(true);
    expect(b.risk.notes.join(" ")).not.toContain(la?.value as string);
    const v = await validateXML({ xml: [{ fileName: "c.xml", contents: xml }], schema: [xsd(2026)] });
    expect(v.valid).toBe(true);
  });
});
