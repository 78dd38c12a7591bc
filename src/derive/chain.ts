/** The derivers every commit runs, in order: person index, households, flags, notifications. */
import { flagsDeriver } from "../flags/deriver.js";
import { householdsDeriver } from "../households/deriver.js";
import { personIndexDeriver } from "../linkage/person-index.js";
import { notificationsDeriver } from "../notify/deriver.js";
import type { Deriver } from "./port.js";

/** The derivation chain; each step sees what the earlier ones derived in the same commit. Notifications stay last. */
export const DERIVERS: readonly Deriver[] = [personIndexDeriver, householdsDeriver, flagsDeriver, notificationsDeriver];
