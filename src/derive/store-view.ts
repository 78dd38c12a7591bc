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

/** Reads and finds committed, current resources of `store`. */
export function storeView(store: Store): DeriveView {
  return {
    async read(resourceType, id) {
      return resourceOf(await store.read(resourceType, id));
    },
    async findWithin(resourceType, criteria, limit) {
      const counted = await store.search({ resourceType, criteria, count: 0, sort: "id", totalUpTo: limit + 1 });
      // Most blocks of a new record are empty: counted as such, they need no second query.
      if (counted.total === 0) return [];
      return counted.total > limit ? undefined : this.find(resourceType, criteria);
    },
    async find(resourceType, criteria) {
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
