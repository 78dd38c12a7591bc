/** Every current match of a selective indexed search (by subject, by target), read a page at a time. */
import { storeView } from "../derive/store-view.js";
import type { SearchCriterion, Store } from "../store/port.js";
import type { Json } from "./fhir-read.js";

/**
 * References one OR-ed criterion names at most: each costs the SQL store two or three bound parameters, and
 * D1 allows 100 a query (the search's count query and page query each carry them all).
 */
export const REFERENCES_PER_QUERY = 15;

/** All current resources of `resourceType` matching `criteria`. Only for criteria that name few resources. */
export async function searchAll(store: Store, resourceType: string, criteria: SearchCriterion[]): Promise<Json[]> {
  // The derivers' committed-data view pages through the matches the same way (sorted by id, no count).
  return storeView(store).find(resourceType, criteria);
}
