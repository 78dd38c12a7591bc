/**
 * The resource types this gateway serves, with their search parameters, as data.
 * The table is generated from the R4 SearchParameter definitions (scripts/build-search-params.ts);
 * the CapabilityStatement is generated from it, so it lists only what works.
 */

import type { SearchParamDef } from "./search-param-def.js";
import { GENERATED_SEARCH_PARAMS } from "./search-params.generated.js";
import { SERVED_TYPES } from "./served-types.js";

export type { SearchParamDef, SearchParamType } from "./search-param-def.js";

/** Search parameters by resource type (besides `_id` and `_lastUpdated`, which every type has). */
export const SEARCH_PARAMS: Record<string, SearchParamDef[]> = GENERATED_SEARCH_PARAMS;

/** Resource types the gateway stores and serves. */
export const RESOURCE_TYPES: readonly string[] = SERVED_TYPES;

/** True when the gateway serves `type`. */
export function isSupportedType(type: string): boolean {
  return RESOURCE_TYPES.includes(type);
}

/** The definition of `name` on `type`, if the gateway supports it. */
export function searchParam(type: string, name: string): SearchParamDef | undefined {
  return SEARCH_PARAMS[type]?.find((d) => d.name === name);
}
