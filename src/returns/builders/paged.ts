/** Pages through every current match of an indexed search in id order, a bounded batch at a time. */
import { type Json, resourceOf } from "../../reports/fhir-read.js";
import type { SearchCriterion, Store } from "../../store/port.js";

/** Resources read per page. */
export const BATCH = 200;

/** Yields batches of the current resources of `resourceType` matching `criteria`, by id, `size` at a time. */
export async function* pagedSearch(
  store: Store,
  resourceType: string,
  criteria: SearchCriterion[],
  size = BATCH,
): AsyncGenerator<(Json & { id: string })[]> {
  let after: { key: string; id: string } | undefined;
  for (;;) {
    const page = await store.search({
      resourceType,
      criteria,
      count: size,
      sort: "id",
      withoutTotal: true,
      ...(after ? { after } : {}),
    });
    const batch = page.versions
      .map((v) => resourceOf(v))
      .filter((r): r is Json & { id: string } => r !== undefined && typeof r.id === "string");
    if (batch.length > 0) yield batch;
    const last = page.versions.at(-1);
    if (!page.more || !last) return;
    after = { key: last.id, id: last.id };
  }
}

/**
 * Yields batches of every current resource of `resourceType`, in id order, walking the store's current rows by
 * (type, id) (`scanCurrent`): each page is a range read, so the cost per page stays flat however many match,
 * where a keyset-paged indexed search re-reads the matches before each page. For walks that visit most of a type.
 */
export async function* scanType(
  store: Store,
  resourceType: string,
  size = BATCH,
): AsyncGenerator<(Json & { id: string })[]> {
  let after = { resourceType, id: "" };
  for (;;) {
    const versions = await store.scanCurrent(after, size);
    const mine = versions.filter((v) => v.resourceType === resourceType);
    const batch = mine
      .map((v) => resourceOf(v))
      .filter((r): r is Json & { id: string } => r !== undefined && typeof r.id === "string");
    if (batch.length > 0) yield batch;
    const last = mine.at(-1);
    if (!last || mine.length < versions.length || versions.length < size) return;
    after = { resourceType, id: last.id };
  }
}
