/**
 * Ingests a synthetic population (the files `npm run synth` writes, as text) through the real ingest:
 * CPA JSON sent by RX4 as authorised submitter of the other trusts, each NDTMS file by its agency, each
 * CIN return and SSD case-record document by its LA. Returns every resource key the files produced.
 */
import { ownershipRule } from "../auth/ownership.js";
import { ingest } from "../ingest/ingest-service.js";
import type { IngestReport } from "../ingest/report.js";
import { SOURCES, type SourceDefinition } from "../ingest/sources.js";
import type { Store } from "../store/port.js";

/** One file of a population: its path under the output folder and its text. */
export interface PopulationFile {
  path: string;
  content: string;
}

/** Which source reads a file and which organisation sends it, from its path; undefined for other files. */
export function senderOf(path: string): { source: SourceDefinition; org: string; mediaType: string } | undefined {
  const name = path.split("/").pop() ?? "";
  const m = (source: keyof typeof SOURCES, org: string | undefined, mediaType: string) => {
    const def = SOURCES[source];
    return def && org ? { source: def, org, mediaType } : undefined;
  };
  if (path === "cpa/cpa.json") return m("cpa", "RX4", "application/json");
  if (path.startsWith("ndtms/") && name.endsWith(".csv")) return m("ndtms", name.split("-")[0], "text/csv");
  if (path.startsWith("cin/") && name.endsWith(".xml")) return m("cin", name.split("_")[0], "application/xml");
  if (path.startsWith("ssd/") && name.endsWith(".json"))
    return m("ssd", name.replace(/\.json$/, ""), "application/json");
  return undefined;
}

/** What ingesting a population did: per-file reports and every resource key produced, in order. */
export interface PopulationIngest {
  reports: { path: string; report: IngestReport }[];
  keys: string[];
}

/** Ingests every file `senderOf` recognises, in path order (CIN before CPA before NDTMS before SSD). */
export async function ingestPopulation(
  store: Store,
  files: readonly PopulationFile[],
  clock: () => Date,
): Promise<PopulationIngest> {
  const encoder = new TextEncoder();
  const ownership = ownershipRule({ RX4: ["RXE", "RXG"] });
  const out: PopulationIngest = { reports: [], keys: [] };
  const seen = new Set<string>();
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const s = senderOf(f.path);
    if (!s) continue;
    const body = (async function* () {
      yield encoder.encode(f.content);
    })();
    const report = await ingest(
      { store, clock, ownership },
      s.source.mapping(),
      s.source.read({ kind: "stream", body, mediaType: s.mediaType }),
      {
        sender: {
          org: s.org,
          subject: "linkage-score",
          issuer: "urn:tfg:cli",
          tokenId: { kind: "cli-run", value: "score" },
        },
        ownerField: s.source.ownerField,
      },
    );
    out.reports.push({ path: f.path, report });
    for (const r of report.records) {
      for (const k of [...(r.resources ?? []), ...(r.withdrawn ?? [])]) {
        if (!seen.has(k)) {
          seen.add(k);
          out.keys.push(k);
        }
      }
    }
  }
  return out;
}
