/** The derivers every commit runs, in order: person index, households, flags, notifications. */
import { flagsDeriver } from "../flags/deriver.js";
import { householdsDeriver } from "../households/deriver.js";
import { personIndexDeriver } from "../linkage/person-index.js";
import { notificationsDeriver } from "../notify/deriver.js";
import type { Deriver } from "./port.js";

/** The derivation chain; each step sees what the earlier ones derived in the same commit. Notifications stay last. */
export const DERIVERS: readonly Deriver[] = [personIndexDeriver, householdsDeriver, flagsDeriver, notificationsDeriver];

/**
 * What ingest runs by default: the whole chain, so every commit's links, households, flags and notifications are
 * derived with the records that change them. `IngestDeps.derivers: []` stores source records only.
 */
export const DEFAULT_DERIVERS: readonly Deriver[] = DERIVERS;
