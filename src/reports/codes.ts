/** The codes and systems the reports read: episode types, parental status, observation and flag codes. */
import { codeSystemUrl, profileUrl } from "../fhir/canonical.js";

/** Episode types the reports cover (code system `episode-type`): CPA and drug and alcohol treatment. */
export const ADULT_EPISODE_TYPES = ["cpa", "drug-alcohol-treatment"] as const;

/** An adult service episode type. */
export type AdultEpisodeType = (typeof ADULT_EPISODE_TYPES)[number];

/** `episode-type` code system. */
export const EPISODE_TYPE_SYSTEM = codeSystemUrl("episode-type");
/** `observation-code` code system. */
export const OBSERVATION_CODE_SYSTEM = codeSystemUrl("observation-code");
/** `parental-status` code system (DOMAIN.md §2). */
export const PARENTAL_STATUS_SYSTEM = codeSystemUrl("parental-status");
/** `pregnancy-status` code system. */
export const PREGNANCY_STATUS_SYSTEM = codeSystemUrl("pregnancy-status");
/** `flag-code` code system. */
export const FLAG_CODE_SYSTEM = codeSystemUrl("flag-code");
/** The profile of a derived safeguarding flag. */
export const SAFEGUARDING_FLAG_PROFILE = profileUrl("TFG-SafeguardingFlag");

/** The five parental states (DOMAIN.md §2). */
export const PARENTAL_STATES = [
  "children-in-household",
  "children-elsewhere",
  "no-children",
  "declined",
  "not-recorded",
] as const;

/** A parental state. */
export type ParentalState = (typeof PARENTAL_STATES)[number];

/** The flags a worklist shows: those about children around an adult (DOMAIN.md §3), not the child-only ones. */
export const CHILDREN_FLAG_CODES = [
  "household-has-children",
  "children-status-not-recorded",
  "parent-children-elsewhere",
  "pregnant",
  "child-protection-plan",
  "child-in-need",
  "looked-after",
] as const;

/** EpisodeOfCare statuses that count as open (with no `period.end` before the day of the report). */
export const OPEN_EPISODE_STATUSES = ["active", "onhold"] as const;
