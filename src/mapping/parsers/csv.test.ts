// Property tests for the streaming CSV reader: any bytes give events, never an exception; chunking never changes the result.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CsvEvent, readCsv } from "./csv.js";

async function collect(chunks: (string | Uint8Array)[]): Promise<CsvEvent[]> {
  const out: CsvEvent[] = [];
  for await (const e of readCsv(
    (async function* () {
      yield* chunks;
    })(),
  ))
    out.push(e);
  return out;
}

const field = fc.oneof(fc.string(), fc.constantFrom("", "NA", 'a"b', "x,y", "line\nbreak", " spaced "));
const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

describe("readCsv", () => {
  it("turns arbitrary bytes into events without throwing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const events = await collect([bytes]);
        for (const e of events) expect(["header", "row", "bad-row", "fatal"]).toContain(e.kind);
        expect(events.filter((e) => e.kind === "fatal").length).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("round-trips any table of quoted fields, however the text is chunked", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 4 })
          .chain((cols) =>
            fc.tuple(
              fc.uniqueArray(fc.stringMatching(/^[A-Z]{1,6}$/), { minLength: cols, maxLength: cols }),
              fc.array(fc.array(field, { minLength: cols, maxLength: cols }), { maxLength: 8 }),
              fc.integer({ min: 1, max: 50 }),
            ),
          ),
        async ([header, rows, chunkSize]) => {
          const text = [header.join(","), ...rows.map((r) => r.map(quote).join(","))].join("\r\n");
          const chunks: string[] = [];
          for (let i = 0; i < text.length; i += chunkSize) chunks.push(text.slice(i, i + chunkSize));
          const events = await collect(chunks);
          const got = events
            .filter((e) => e.kind === "row")
            .map((e) => (e.kind === "row" ? header.map((h) => e.record[h]) : []));
          expect(events[0]).toEqual({ kind: "header", columns: header });
          expect(got).toEqual(rows);
        },
      ),
    );
  });

  it("reports the line of a row with the wrong number of columns and carries on", async () => {
    const events = await collect(["A,B\n1,2\n3\n4,5\n"]);
    expect(events.map((e) => (e.kind === "row" || e.kind === "bad-row" ? `${e.kind}@${e.line}` : e.kind))).toEqual([
      "header",
      "row@2",
      "bad-row@3",
      "row@4",
    ]);
  });

  it("rejects a row whose quote never closes at its own line and reads the lines after it as rows", async () => {
    const events = await collect(['A,B\n1,2\n3,"open\n4,5\n']);
    expect(events.map((e) => (e.kind === "row" || e.kind === "bad-row" ? `${e.kind}@${e.line}` : e.kind))).toEqual([
      "header",
      "row@2",
      "bad-row@3",
      "row@4",
    ]);
    expect(events[2]).toMatchObject({ issue: { expression: ["row 3, column B"] } });
  });

  it("reads every line after an unclosed quote as its own row again, however many lines the quote swallowed", async () => {
    const events = await collect([`A\n"open\n${"a\n".repeat(50_000)}`]);
    expect(events.filter((e) => e.kind === "bad-row").map((e) => (e.kind === "bad-row" ? e.line : 0))).toEqual([2]);
    expect(events.filter((e) => e.kind === "row").length).toBe(50_000);
  });

  it("ends a row at a bare LF in a CRLF file (and at a lone CR) instead of merging it with the next", async () => {
    const events = await collect(["A,B\r\n1,2\n3,4\r\n5,6\r7,8\r\n"]);
    expect(events.filter((e) => e.kind === "row").map((e) => (e.kind === "row" ? [e.line, e.record.B] : []))).toEqual([
      [2, "2"],
      [3, "4"],
      [4, "6"],
      [5, "8"],
    ]);
  });

  it("rejects a stray quote inside an unquoted field, or text after a closing quote, alone; later rows are read", async () => {
    const events = await collect(['A,B\r\n1,x"y\r\n3,4\r\n5,"6"z\r\n7,8\r\n']);
    expect(events.map((e) => (e.kind === "row" || e.kind === "bad-row" ? `${e.kind}@${e.line}` : e.kind))).toEqual([
      "header",
      "bad-row@2",
      "row@3",
      "bad-row@4",
      "row@5",
    ]);
    expect(events[1]).toMatchObject({ issue: { expression: ["row 2, column B"] } });
  });

  it("rejects a row holding invalid UTF-8 at its row and column, and a row over the length limit, alone", async () => {
    const bytes = new TextEncoder().encode("A,B\n1,2\n3,x\n5,6\n");
    const bad = new Uint8Array([...bytes.slice(0, 10), 0xff, ...bytes.slice(11)]); // the "x" becomes a lone 0xFF
    const events = await collect([bad]);
    expect(events.map((e) => (e.kind === "row" || e.kind === "bad-row" ? `${e.kind}@${e.line}` : e.kind))).toEqual([
      "header",
      "row@2",
      "bad-row@3",
      "row@4",
    ]);
    expect(events[2]).toMatchObject({ issue: { expression: ["row 3, column B"] } });
    const long: CsvEvent[] = [];
    for await (const e of readCsv(
      (async function* () {
        yield "A,B\n1,";
        for (let i = 0; i < 40; i++) yield "x".repeat(100);
        yield "\n3,4\n";
      })(),
      1000,
    ))
      long.push(e);
    expect(long.map((e) => (e.kind === "row" || e.kind === "bad-row" ? `${e.kind}@${e.line}` : e.kind))).toEqual([
      "header",
      "bad-row@2",
      "row@3",
    ]);
  });
});
