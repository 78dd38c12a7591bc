// Property: any text a report cell may hold comes back from a CSV reader as itself, or as itself behind a
// leading ' when a spreadsheet would run it as a formula (OWASP CSV injection); rows never split or merge.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/mapping/parsers/csv.js";
import { type Column, csvHeader, csvRows } from "../../src/reports/csv.js";

const RISKY = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const piece = fc.constantFrom(
  "=",
  "+",
  "-",
  "@",
  "\t",
  "\r",
  "\n",
  "\r\n",
  ",",
  '"',
  "'",
  " ",
  "a",
  "1",
  "\uFF1D",
  "é",
  "x=y",
);
const cellText = fc.array(piece, { maxLength: 8 }).map((p) => p.join(""));

async function parse(text: string): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  for await (const e of readCsv(
    (async function* () {
      yield text;
    })(),
  )) {
    if (e.kind === "row") rows.push(e.record);
    else if (e.kind !== "header") throw new Error(`unreadable CSV: ${JSON.stringify(e)}`);
  }
  return rows;
}

describe("report CSV", () => {
  it("round-trips every cell, prefixing exactly the risky ones", async () => {
    const columns: Column<string[]>[] = [
      { header: "a", cell: (r) => r[0] },
      { header: "b", cell: (r) => r[1] },
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cellText, cellText), { minLength: 1, maxLength: 5 }), async (rows) => {
        const text = csvHeader(columns) + csvRows(columns, rows);
        const back = await parse(text);
        const expected = rows.map(([a, b]) => [a, b].map((v) => (RISKY.test(v) ? `'${v}` : v)));
        expect(back.map((r) => [r.a, r.b])).toEqual(expected);
        for (const r of back) for (const v of Object.values(r)) expect(v).not.toMatch(RISKY);
      }),
      { numRuns: 300 },
    );
  });
});
