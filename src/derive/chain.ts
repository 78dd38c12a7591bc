/** The derivers every commit runs, in order: person index, households, flags, notifications. */
import { personIndexDeriver } from "../linkage/person-index.js";
import type { Deriver } from "./port.js";

/** The derivation chain; each step sees what the earlier ones derived in the same commit. */
export const DERIVERS: readonly Deriver[] = [personIndexDeriver];
