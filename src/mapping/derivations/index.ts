/** Every named derivation mappings may call with `$derive`. */
import type { Derivation } from "../template.js";
import { careCoordinatorId, careTeamId, cpaEpisodeAt } from "./cpa-episodes.js";
import { childrenElsewhereCount, childrenInHouseholdCount, cpaParentalStatus } from "./cpa-household.js";
import { cinReferralOutcome, milestones, substances } from "./episode-extensions.js";
import { ssdAllocatedTeam, ssdAllocatedWorker } from "./ssd-involvements.js";

/** Derivations by name. */
export const DERIVATIONS: Record<string, Derivation> = {
  milestones,
  cinReferralOutcome,
  substances,
  cpaParentalStatus,
  childrenInHouseholdCount,
  childrenElsewhereCount,
  careCoordinatorId,
  careTeamId,
  cpaEpisodeAt,
  ssdAllocatedWorker,
  ssdAllocatedTeam,
};
