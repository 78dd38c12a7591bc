/** The CSV columns of each report (docs/REPORTS.md lists them): one place, so the docs and the code agree. */
import type { CompletenessGroup, NotRecordedRow } from "./completeness.js";
import type { Column } from "./csv.js";
import type { EpisodeContext } from "./episode-context.js";
import type { WorklistRow } from "./worklist.js";

const episodeColumns: Column<EpisodeContext>[] = [
  { header: "patient", cell: (r) => r.patient },
  { header: "local_id", cell: (r) => r.localId },
  { header: "episode", cell: (r) => r.episode },
  { header: "episode_type", cell: (r) => r.episodeType },
  { header: "episode_id", cell: (r) => r.episodeId },
  { header: "episode_start", cell: (r) => r.start },
  { header: "provider", cell: (r) => r.provider },
  { header: "team", cell: (r) => r.team },
  { header: "team_name", cell: (r) => r.teamName },
];

/** Worklist: the episode, then its flags as `code start/end` joined by `; ` (an open end left empty). */
export const WORKLIST_COLUMNS: Column<WorklistRow>[] = [
  ...(episodeColumns as Column<WorklistRow>[]),
  { header: "flags", cell: (r) => r.flags.map((f) => f.code).join("; ") },
  {
    header: "flag_periods",
    cell: (r) => r.flags.map((f) => `${f.code} ${f.start ?? ""}/${f.end ?? ""}`).join("; "),
  },
];

/** The not-recorded list: the episode and whether the status said `not-recorded` or was `absent`. */
export const NOT_RECORDED_COLUMNS: Column<NotRecordedRow>[] = [
  ...(episodeColumns as Column<NotRecordedRow>[]),
  { header: "parental_status", cell: (r) => r.parentalStatus },
];

const measureColumns = (
  name: string,
  pick: (g: CompletenessGroup) => CompletenessGroup["pregnancyAsked"] | null,
): Column<CompletenessGroup>[] => [
  { header: `${name}_numerator`, cell: (g) => pick(g)?.numerator },
  { header: `${name}_denominator`, cell: (g) => pick(g)?.denominator },
  { header: `${name}_share`, cell: (g) => pick(g)?.share },
];

/** Completeness summary: one line per provider, team and episode type. */
export const COMPLETENESS_COLUMNS: Column<CompletenessGroup>[] = [
  { header: "provider", cell: (g) => g.provider },
  { header: "team", cell: (g) => g.team },
  { header: "team_name", cell: (g) => g.teamName },
  { header: "episode_type", cell: (g) => g.episodeType },
  { header: "episodes", cell: (g) => g.episodes },
  ...measureColumns("parental_status_recorded", (g) => g.parentalStatusRecorded),
  ...measureColumns("young_carer_asked", (g) => g.youngCarerAsked),
  ...measureColumns("pregnancy_asked", (g) => g.pregnancyAsked),
];
