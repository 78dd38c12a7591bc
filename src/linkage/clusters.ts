/** Every person cluster of the index, for scoring against a ground truth (`npm run linkage:score`) and for operators. */

import { storeView } from "../derive/store-view.js";
import type { Store } from "../store/port.js";

/** One Person of the index: its id and the `Patient/id` keys of its records, sorted. */
export interface PersonCluster {
  person: string;
  members: string[];
}

/**
 * Lists every Person with its records (all of them, a page of the store at a time: a scan for reports,
 * never for linking). Every Patient has exactly one Person; a Patient linked to nobody is a cluster of one.
 */
export async function listPersonClusters(store: Store): Promise<PersonCluster[]> {
  const people = await storeView(store).find("Person", []);
  return people
    .map((p) => ({
      person: p.id,
      members: ((p.link as { target?: { reference?: string } }[] | undefined) ?? [])
        .map((l) => l.target?.reference)
        .filter((r): r is string => typeof r === "string" && r.startsWith("Patient/"))
        .sort(),
    }))
    .sort((a, b) => (a.person < b.person ? -1 : 1));
}
