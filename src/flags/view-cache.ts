/**
 * A memo over a {@link DeriveView} for one derive call: the same read or find asked for many
 * subjects of one household is answered once.
 */

import type { DerivedResource, DeriveView } from "../derive/port.js";
import type { SearchCriterion } from "../store/port.js";

/** A view whose reads and finds are remembered for the life of the object (one derive call). */
export class CachedView implements DeriveView {
  private readonly reads = new Map<string, Promise<DerivedResource | undefined>>();
  private readonly finds = new Map<string, Promise<DerivedResource[]>>();

  constructor(private readonly inner: DeriveView) {}

  read(resourceType: string, id: string): Promise<DerivedResource | undefined> {
    const key = `${resourceType}/${id}`;
    let hit = this.reads.get(key);
    if (!hit) {
      hit = this.inner.read(resourceType, id);
      this.reads.set(key, hit);
    }
    return hit;
  }

  find(resourceType: string, criteria: SearchCriterion[]): Promise<DerivedResource[]> {
    const key = `${resourceType}?${JSON.stringify(criteria)}`;
    let hit = this.finds.get(key);
    if (!hit) {
      hit = this.inner.find(resourceType, criteria);
      this.finds.set(key, hit);
    }
    return hit;
  }

  /** Resources of `resourceType` whose reference parameter `param` points at any of `targets` (`Type/id`). */
  async byReference(resourceType: string, param: string, targets: readonly string[]): Promise<DerivedResource[]> {
    if (targets.length === 0) return [];
    const sorted = [...new Set(targets)].sort();
    return this.find(resourceType, [{ kind: "reference", param, targets: sorted }]);
  }
}
