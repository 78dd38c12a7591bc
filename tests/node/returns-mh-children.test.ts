// The children of adults in mental health services return over a synthetic population: CSV and JSON agree,
// no released count is 1-7 and every other is a multiple of 5, totals match the stored CPA episodes, the risk
// report names what was suppressed, and no output carries an identifier of the input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCsv } from "../../src/mapping/parsers/csv.js";
import { buildReturn } from "../../src/returns/build.js";
import type { BuiltReturn } from "../../src/returns/port.js";
import {
  allOf,
  type Identifiers,
  identifiersIn,
  type Loaded,
  leaks,
  loadPopulation,
  testKeys,
} from "./returns-fixtures.js";

let loaded: Loaded;
let built: BuiltReturn;
let ids: Identifiers;
const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const fileBytes = (b: BuiltReturn, i: number) => b.files[i]?.bytes ?? new Uint8Array();

async function csvRows(text: string): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  for await (const e of readCsv(
    (async function* () {
      yield text;
    })(),
  )) {
    if (e.kind === "row") rows.push(e.record);
    else if (e.kind !== "header") throw new Error("unreadable CSV");
  }
  return rows;
}

beforeAll(async () => {
  loaded = await loadPopulation(150, "returns-mh");
  ids = await identifiersIn(loaded.store);
  built = await buildReturn(
    { kind: "mh-children", period: { start: "2025-04-01", end: "2026-03-31" }, scope: {} },
    { store: loaded.store, keys: testKeys },
  );
}, 240_000);
afterAll(() => loaded?.store.close());

describe("mh-children return", () => {
  it("writes a CSV and a JSON of the same lines, under the NHS rule", async () => {
    expect(loaded.rejected).toBe(0);
    expect(built.files.map((f) => f.mediaType)).toEqual([
      "text/csv; charset=utf-8; header=present",
      "application/json",
    ]);
    const csv = await csvRows(decode(fileBytes(built, 0)));
    const json = JSON.parse(decode(fileBytes(built, 1))) as { rows: Record<string, unknown>[] };
    expect(csv.length).toBe(json.rows.length);
    expect(csv.length).toBeGreaterThan(0);
    for (const row of json.rows) {
      for (const [k, v] of Object.entries(row)) {
        if (["provider", "la", "quarter", "parental_status_recorded_pct"].includes(k)) continue;
        if (v === "*") continue;
        expect(typeof v, k).toBe("number");
        expect((v as number) % 5, k).toBe(0);
        expect((v as number) >= 1 && (v as number) <= 7, k).toBe(false);
      }
    }
    expect(json.rows.some((r) => Object.values(r).includes("*"))).toBe(true);
    // The derived flags are read: some adults have a linked child on CIN or a CP plan.
    expect(json.rows.some((r) => r.linked_children_cin !== 0 || r.linked_children_cp_plan !== 0)).toBe(true);
    expect(built.risk.suppressed.length).toBeGreaterThan(0);
    expect(built.risk.suppressed.every((s) => s.rule === "nhs-1-7" && s.reason === "primary")).toBe(true);
    expect(built.risk.rule).toBe("nhs");
    expect(built.risk.smallestCell === null || built.risk.smallestCell >= 10).toBe(true);
  });

  it("counts every adult with a CPA episode open in each quarter, once per provider (within rounding)", async () => {
    const episodes = (await allOf(loaded.store, "EpisodeOfCare")).filter((e) =>
      JSON.stringify(e.type).includes('"cpa"'),
    );
    const quarter = { from: "2026-01-01", to: "2026-03-31" };
    const open = episodes.filter((e) => {
      const p = (e.period ?? {}) as { start?: string; end?: string };
      return (
        (!p.start || p.start <= quarter.to) && (!p.end || p.end >= quarter.from) && e.status !== "entered-in-error"
      );
    });
    const adults = new Set(
      open.map((e) => {
        const provider = (e.managingOrganization as { identifier?: { value?: string } } | undefined)?.identifier?.value;
        return `${(e.patient as { reference?: string }).reference}|${provider}`;
      }),
    );
    const json = JSON.parse(decode(fileBytes(built, 1))) as { rows: Record<string, unknown>[] };
    const lines = json.rows.filter((r) => r.quarter === "2026-01-01");
    const released = lines.reduce((n, r) => n + (r.adults_on_cpa === "*" ? 4 : (r.adults_on_cpa as number)), 0);
    // Each line is within 2 of its count (rounding) or 1-7 (shown *, counted here as 4 ± 3).
    expect(Math.abs(released - adults.size)).toBeLessThanOrEqual(lines.length * 3);
    expect(adults.size).toBeGreaterThan(20);
  });

  it("carries no NHS number, name, full postcode or full date of birth of the input", () => {
    expect(ids.nhsNumbers.size).toBeGreaterThan(50);
    for (const f of built.files) expect(leaks(decode(f.bytes), ids), f.name).toEqual({});
    expect(leaks(JSON.stringify(built.risk), ids)).toEqual({});
  });

  it("refuses a period that is not two days in order", async () => {
    await expect(
      buildReturn(
        { kind: "mh-children", period: { start: "2026-04-01", end: "2026-03-31" }, scope: {} },
        { store: loaded.store, keys: testKeys },
      ),
    ).rejects.toMatchObject({ status: 400 });
  });
});
