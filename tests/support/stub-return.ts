// A stand-in built return for the return-job tests (the builders have their own tests): one CSV file, a trivial risk report.
import type { BuiltReturn, ReturnKind } from "../../src/returns/port.js";

/** One CSV file named after `kind`, holding `csv`, with a risk report that suppresses nothing, under key `keyId`. */
export function stubReturn(kind: ReturnKind, csv: string, keyId: string): BuiltReturn {
  return {
    files: [{ name: `${kind}.csv`, mediaType: "text/csv", bytes: new TextEncoder().encode(csv) }],
    risk: {
      kind,
      rule: "none",
      quasiIdentifiers: [],
      k: null,
      smallestCell: null,
      recordsIn: 1,
      recordsOut: 1,
      keyId,
      suppressed: [],
      notes: [],
    },
  };
}
