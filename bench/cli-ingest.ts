/** The CLI arguments every bench uses to ingest a synthetic NDTMS file (the agency the fixtures use, a bench user). */

/** `tfg ingest ndtms FILE` as the fixtures' agency (N0852), run by `node --import tsx`; `extra` adds flags. */
export function ndtmsIngestArgs(file: string, extra: string[] = []): string[] {
  return [
    "--import",
    "tsx",
    "src/runtime/cli/tfg.ts",
    "ingest",
    "ndtms",
    file,
    "--org",
    "N0852",
    "--user",
    "bench",
    ...extra,
  ];
}
