/**
 * `_include` and `_revinclude` (http://hl7.org/fhir/R4/search.html#include): the resources the matches
 * reference, and those that reference the matches. Every read goes through `Store.search`, the same
 * read path as the matches, so a policy that filters searches filters included resources too.
 */
import type { SearchCriterion, Store, StoredVersion } from "../store/port.js";
import { searchParam } from "./resource-types.js";
import { referencesOf, valuesAt } from "./search-index.js";
import { type IncludeSpec, referenceCriterion } from "./search-query.js";

/** Values per `IN` list: well within D1's 100 bound parameters a statement. */
const PER_QUERY = 50;
/** Rounds of `:iterate` followed at most. */
const MAX_ROUNDS = 4;

const keyOf = (v: { resourceType: string; id: string }) => `${v.resourceType}/${v.id}`;

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `Type/id` references of `resources` through `spec` (an `_include`). */
function referencedBy(resources: StoredVersion[], spec: IncludeSpec): string[] {
  const def = searchParam(spec.source, spec.param);
  if (!def) return [];
  const out: string[] = [];
  for (const v of resources) {
    if (v.resourceType !== spec.source || !v.resource) continue;
    for (const path of def.paths)
      for (const value of valuesAt(v.resource, path))
        for (const target of referencesOf(value, def))
          if (!spec.target || target.startsWith(`${spec.target}/`)) out.push(target);
  }
  return out;
}

/**
 * The resources `include` and `revinclude` add to the matches, without repeats and without the matches
 * themselves. `limit` bounds the resources added (the rest are left out). With `show` (the sharing protocol's
 * enforcement), each resource found is what `show` returns of it, or left out when it returns nothing, and
 * `:iterate` rounds follow references only from what was shown.
 */
export async function findIncluded(
  store: Store,
  matches: StoredVersion[],
  include: IncludeSpec[],
  revinclude: IncludeSpec[],
  limit: number,
  show?: (v: StoredVersion) => Promise<StoredVersion | undefined>,
): Promise<StoredVersion[]> {
  const seen = new Set(matches.map(keyOf));
  const added: StoredVersion[] = [];
  let fresh: StoredVersion[] = [];
  const search = async (resourceType: string, criteria: SearchCriterion[]) => {
    const page = await store.search({ resourceType, criteria, count: Math.max(1, limit - added.length), sort: "id" });
    for (const v of page.versions) {
      if (added.length >= limit || seen.has(keyOf(v))) continue;
      seen.add(keyOf(v));
      const shown = show ? await show(v) : v;
      if (!shown) continue;
      added.push(shown);
      fresh.push(shown);
    }
  };
  let frontier = matches;
  for (let round = 0; round < MAX_ROUNDS && frontier.length > 0 && added.length < limit; round++) {
    fresh = [];
    const inc = include.filter((s) => round === 0 || s.iterate);
    const rev = revinclude.filter((s) => round === 0 || s.iterate);
    const byType = new Map<string, Set<string>>();
    for (const spec of inc)
      for (const target of referencedBy(frontier, spec)) {
        if (seen.has(target)) continue;
        const [type = "", id = ""] = target.split("/");
        byType.set(type, (byType.get(type) ?? new Set()).add(id));
      }
    for (const [type, ids] of byType)
      for (const part of chunk([...ids], PER_QUERY)) await search(type, [{ kind: "id", values: part }]);
    for (const spec of rev) {
      const targets = frontier.filter((v) => !spec.target || v.resourceType === spec.target).map(keyOf);
      const def = searchParam(spec.source, spec.param);
      if (!def) continue;
      for (const part of chunk(targets, PER_QUERY)) await search(spec.source, [referenceCriterion(def, part)]);
    }
    frontier = fresh;
  }
  return added;
}
