/** Every named derivation mappings may call with `$derive`. */
import type { Derivation } from "../template.js";
import { milestones, substances } from "./episode-extensions.js";

/** Derivations by name. */
export const DERIVATIONS: Record<string, Derivation> = { milestones, substances };
