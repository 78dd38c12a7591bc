/** Reads an NDTMS core data set CSV into source records (one row, one client episode). */
import { type ByteSource, readCsv } from "../parsers/csv.js";
import type { SourceEvent } from "./events.js";

/** Columns without which a file cannot be an NDTMS treatment return. */
export const NDTMS_REQUIRED_COLUMNS = ["AGNCY", "CLIENTID", "EPISODID", "DOB", "REFLD", "CONSENT"];

/** Streams NDTMS rows. Locations read `row N, column X` (row = line in the file; the header is row 1). */
export async function* ndtmsRecords(source: ByteSource): AsyncGenerator<SourceEvent> {
  for await (const e of readCsv(source)) {
    switch (e.kind) {
      case "header": {
        const missing = NDTMS_REQUIRED_COLUMNS.filter((c) => !e.columns.includes(c));
        if (missing.length > 0) {
          yield {
            kind: "fatal",
            issue: {
              severity: "fatal",
              code: "structure",
              diagnostics: `The header lacks required NDTMS columns: ${missing.join(", ")}`,
              expression: ["row 1"],
            },
          };
          return;
        }
        break;
      }
      case "row":
        yield {
          kind: "record",
          record: {
            index: e.line,
            label: `row ${e.line}`,
            data: e.record,
            locate: (path) => `row ${e.line}, column ${path}`,
          },
        };
        break;
      case "bad-row":
        yield { kind: "broken", index: e.line, label: `row ${e.line}`, issues: [e.issue] };
        break;
      case "fatal":
        yield { kind: "fatal", issue: e.issue };
        return;
    }
  }
}
