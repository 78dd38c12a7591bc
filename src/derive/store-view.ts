/** A {@link DeriveView} over committed data only: the base an overlay of pending writes sits on, and the view tests use. */
import type { Store, StoredVersion } from "../store/port.js";
import type { DerivedResource, DeriveView } from "./port.js";

const PAGE = 500;

const resourceOf = (v: StoredVersion | undefined): DerivedResource | undefined => {
  if (!v || v.deleted) return undefined;
  if (v.resource) return v.resource as DerivedResource;
  if (v.json === undefined) return undefined;
  return JSON.parse(typeof v.json === "string" ? v.json : new TextDecoder().decode(v.json)) as DerivedResource;
};

/** Orders derived resources by id, as a search sorted by id does. */
export const byId = (a: DerivedResource, b: DerivedResource) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Current resources of `resourceType` whose `param` references any of `targets`, each once, in id order (as find). */
async function referencing(
  store: Store,
  resourceType: string,
  param: string,
  targets: readonly string[],
): Promise<DerivedResource[]> {
  const found = new Map<string, DerivedResource>();
  for (const versions of (await store.findReferencing(resourceType, param, targets)).values()) {
    for (const v of versions) {
      if (found.has(v.id)) continue;
      const r = resourceOf(v);
      if (r) found.set(v.id, r);
    }
  }
  return [...found.values()].sort(byId);
}

/** Reads and finds committed, current resources of `store`. */
export function storeView(store: Store): DeriveView {
  return {
    async read(resourceType, id) {
      return resourceOf(await store.read(resourceType, id));
    },
    async findReferencingEach(resourceType, param, targets) {
      const found = await store.findReferencing(resourceType, param, targets);
      const out = new Map<string, DerivedResource[]>();
      for (const t of targets) {
        const list: DerivedResource[] = [];
        for (const v of found.get(t) ?? []) {
          const r = resourceOf(v);
          if (r) list.push(r);
        }
        out.set(t, list);
      }
      return out;
    },
    async readEach(keys) {
      const asked = keys.flatMap((k) => {
        const [resourceType, id, extra] = k.split("/");
        return resourceType && id && extra === undefined ? [{ resourceType, id }] : [];
      });
      const found = await store.readMany(asked);
      const out = new Map<string, DerivedResource>();
      for (const k of keys) {
        const r = resourceOf(found.get(k));
        if (r) out.set(k, r);
      }
      return out;
    },
    async findWithin(resourceType, criteria, limit) {
      const counted = await store.search({ resourceType, criteria, count: 0, sort: "id", totalUpTo: limit + 1 });
      // Most blocks of a new record are empty: counted as such, they need no second query.
      if (counted.total === 0) return [];
      return counted.total > limit ? undefined : this.find(resourceType, criteria);
    },
    async find(resourceType, criteria) {
      // One reference criterion (a record's episodes, a person's Groups: most of what derivation and the sharing
      // protocol ask): the store's reference lookup, by the index's primary key, without a search's paging.
      const only = criteria.length === 1 ? criteria[0] : undefined;
      if (only?.kind === "reference") return referencing(store, resourceType, only.param, only.targets);
      const found: DerivedResource[] = [];
      let after: { key: string; id: string } | undefined;
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
          if (r) found.push(r);
        }
        const last = page.versions.at(-1);
        if (!page.more || !last) return found;
        after = { key: last.id, id: last.id };
      }
    },
  };
}
