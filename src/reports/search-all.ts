/** Every current match of a selective indexed search (by subject, by target), read a page at a time. */
import type { SearchCriterion, SearchCursor, Store } from "../store/port.js";
import { type Json, resourceOf } from "./fhir-read.js";

const PAGE = 200;

/**
 * References one OR-ed criterion names at most: each costs the SQL store two or three bound parameters, and
 * D1 allows 100 a query (the search's count query and page query each carry them all).
 */
export const REFERENCES_PER_QUERY = 15;

/** All current resources of `resourceType` matching `criteria`. Only for criteria that name few resources. */
export async function searchAll(store: Store, resourceType: string, criteria: SearchCriterion[]): Promise<Json[]> {
  const out: Json[] = [];
  let after: SearchCursor | undefined;
  for (;;) {
    const page = await store.search({
      resourceType,
      criteria,
      count: PAGE,
      sort: "id",
      withoutTotal: true,
      ...(after ? { after } : {}),
    });
    for (const v of page.versions) {
      const r = resourceOf(v);
      if (r) out.push(r);
    }
    const last = page.versions.at(-1);
    if (!page.more || !last) return out;
    after = { key: last.id, id: last.id };
  }
}
