// The NDTMS extract over a synthetic population: one CSV per agency with NDTMS column names, pseudonymised
// CLIENTID (keyed HMAC, key id prefix), CONSENT = N rows with only AGNCY, CLIENTID and CONSENT, no identifier of
// the input, and the gateway's own NDTMS reader and mapping read the extract back without a problem.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCsv } from "../../src/mapping/parsers/csv.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { buildReturn } from "../../src/returns/build.js";
import type { BuiltReturn } from "../../src/returns/port.js";
import { mapAll, textSource } from "../support/map-events.js";
import { type Identifiers, identifiersIn, type Loaded, leaks, loadPopulation, testKeys } from "./returns-fixtures.js";

const AGENCIES = ["N0852", "N0853", "N0854"];
const PERIOD = { start: "2025-04-01", end: "2026-03-31" };
let loaded: Loaded;
let ids: Identifiers;
const built = new Map<string, BuiltReturn>();
const text = (a: string) => new TextDecoder().decode(built.get(a)?.files[0]?.bytes);

async function rowsOf(csv: string): Promise<{ header: string[]; rows: Record<string, string>[] }> {
  let header: string[] = [];
  const rows: Record<string, string>[] = [];
  for await (const e of readCsv(textSource(csv))) {
    if (e.kind === "header") header = e.columns;
    else if (e.kind === "row") rows.push(e.record);
    else throw new Error("unreadable CSV");
  }
  return { header, rows };
}

/** Source rows of one agency's synthetic NDTMS file. */
async function sourceRows(agency: string) {
  const f = loaded.files.find((x) => x.path.startsWith(`ndtms/${agency}`));
  return (await rowsOf(f?.content ?? "")).rows;
}

beforeAll(async () => {
  loaded = await loadPopulation(400, "returns-ndtms");
  ids = await identifiersIn(loaded.store);
  for (const org of AGENCIES)
    built.set(
      org,
      await buildReturn({ kind: "ndtms", period: PERIOD, scope: { org } }, { store: loaded.store, keys: testKeys }),
    );
}, 400_000);
afterAll(() => loaded?.store.close());

describe("NDTMS extract", () => {
  it("one file per agency, NDTMS columns, a row per source episode, ids pseudonymised under the ndtms key", async () => {
    for (const agency of AGENCIES) {
      const b = built.get(agency) as BuiltReturn;
      expect(b.files[0]?.name).toBe(`${agency}-20250401-20260331-TREAT-IN-P.csv`);
      const { header, rows } = await rowsOf(text(agency));
      expect(header.slice(0, 11)).toEqual([
        "FINITIAL",
        "SINITIAL",
        "DOB",
        "SEX",
        "ETHNIC",
        "NATION",
        "REFLD",
        "AGNCY",
        "CLIENTID",
        "EPISODID",
        "CONSENT",
      ]);
      expect(header).not.toContain("NHSNUM");
      expect(header).not.toContain("UPRN");
      const source = await sourceRows(agency);
      expect(rows.length).toBe(source.length);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r.AGNCY).toBe(agency);
        expect(r.CLIENTID).toMatch(/^ndtms-k1_[\w-]{22}$/);
        if (r.DOB) expect(r.DOB).toMatch(/-01$/);
      }
      const sourceIds = new Set(source.map((r) => r.CLIENTID));
      for (const r of rows) expect(sourceIds.has(r.CLIENTID as string)).toBe(false);
      // One client, one pseudonym: as many distinct CLIENTIDs as the source has clients.
      expect(new Set(rows.map((r) => r.CLIENTID)).size).toBe(sourceIds.size);
      expect(b.risk.keyId).toBe("ndtms-k1");
      expect(b.risk.k).toBeGreaterThanOrEqual(1);
      // Codes are carried over: the same PRNTSTAT distribution as the consenting source rows.
      const tally = (xs: Record<string, string>[]) =>
        xs
          .filter((r) => r.CONSENT === "Y")
          .map((r) => (r.PRNTSTAT === "NA" ? "" : (r.PRNTSTAT ?? "")))
          .sort()
          .join();
      expect(tally(rows)).toBe(tally(source));
    }
  });

  it("a CONSENT = N client has only AGNCY, CLIENTID and CONSENT filled", async () => {
    let seen = 0;
    for (const agency of AGENCIES) {
      const source = await sourceRows(agency);
      const { rows } = await rowsOf(text(agency));
      const n = rows.filter((r) => r.CONSENT === "N");
      expect(n.length).toBe(source.filter((r) => r.CONSENT === "N").length);
      for (const r of n) {
        seen++;
        const filled = Object.entries(r)
          .filter(([, v]) => v !== "")
          .map(([k]) => k)
          .sort();
        expect(filled).toEqual(["AGNCY", "CLIENTID", "CONSENT"]);
      }
    }
    expect(seen).toBeGreaterThan(0);
  });

  it("the gateway's own NDTMS ingest reads the extract back without a problem", async () => {
    for (const agency of AGENCIES) {
      const { mapped, other } = await mapAll("ndtms", ndtmsRecords(textSource(text(agency))));
      expect(other).toEqual([]);
      const problems = mapped.flatMap((m) => m.issues.filter((i) => i.severity === "error" || i.severity === "fatal"));
      expect(problems.slice(0, 5)).toEqual([]);
      expect(mapped.length).toBe((await sourceRows(agency)).length);
    }
  });

  it("carries no NHS number, name, full postcode or full date of birth of the input", () => {
    for (const agency of AGENCIES) {
      expect(leaks(text(agency), ids)).toEqual({});
      expect(leaks(JSON.stringify(built.get(agency)?.risk), ids)).toEqual({});
    }
  });

  it("refuses a build without an agency or without a key", async () => {
    await expect(
      buildReturn({ kind: "ndtms", period: PERIOD, scope: {} }, { store: loaded.store, keys: testKeys }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      buildReturn(
        { kind: "ndtms", period: PERIOD, scope: { org: "N0852" } },
        { store: loaded.store, keys: { keyFor: () => undefined } },
      ),
    ).rejects.toMatchObject({ status: 400 });
  });
});
