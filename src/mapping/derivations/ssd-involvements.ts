/** SSD derivations: the allocated worker and team of a CIN episode, from the child's involvements. */
import type { Derivation } from "../template.js";

interface Involvement {
  invo_professional_id?: string;
  invo_professional_team?: string;
  invo_professional_role_id?: string;
  invo_referral_id?: string;
  invo_involvement_start_date?: string;
  invo_involvement_end_date?: string;
}

/**
 * The involvement that allocates the episode's worker: among the child's `ssd_involvements` rows of
 * this referral (`invo_referral_id` = `cine_referral_id`) whose role is `CW` (allocated case worker) or
 * not given, the one covering the episode's close date, else the latest-started open one, else the
 * latest-started. Nothing from the clock: the same rows always give the same worker.
 */
function allocated(scope: Parameters<Derivation>[0], ctx: Parameters<Derivation>[2]): Involvement | undefined {
  for (const c of [
    "invo_referral_id",
    "invo_professional_role_id",
    "invo_involvement_start_date",
    "invo_involvement_end_date",
  ])
    ctx.read.add(`ssd_involvements.${c}`);
  const episode = scope.item as { cine_referral_id?: string; cine_close_date?: string };
  const rows = Array.isArray(scope.root.ssd_involvements) ? (scope.root.ssd_involvements as Involvement[]) : [];
  const mine = rows
    .filter(
      (r) =>
        r.invo_referral_id !== undefined &&
        r.invo_referral_id === episode.cine_referral_id &&
        (r.invo_professional_role_id === undefined || r.invo_professional_role_id === "CW"),
    )
    .sort((a, b) => (a.invo_involvement_start_date ?? "").localeCompare(b.invo_involvement_start_date ?? ""));
  const on = episode.cine_close_date;
  if (on) {
    const covering = mine.filter(
      (r) =>
        (r.invo_involvement_start_date ?? "") <= on &&
        (!r.invo_involvement_end_date || r.invo_involvement_end_date >= on),
    );
    if (covering.length) return covering[covering.length - 1];
  }
  const open = mine.filter((r) => !r.invo_involvement_end_date);
  return open[open.length - 1] ?? mine[mine.length - 1];
}

/** `invo_professional_id` of the episode's allocated worker (see {@link allocated}). */
export const ssdAllocatedWorker: Derivation = (scope, _args, ctx) => allocated(scope, ctx)?.invo_professional_id;

/** `invo_professional_team` of the episode's allocated worker. */
export const ssdAllocatedTeam: Derivation = (scope, _args, ctx) => allocated(scope, ctx)?.invo_professional_team;
