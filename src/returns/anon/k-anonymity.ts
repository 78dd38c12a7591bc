/** k-anonymity over the quasi-identifiers a record-level output actually releases: the smallest equivalence class. */

/** Counts records per combination of released quasi-identifier values; memory grows with distinct combinations. */
export class EquivalenceClasses {
  private readonly counts = new Map<string, number>();

  /** Adds one released record's quasi-identifier values (in a fixed order; empty for a blank). */
  add(values: readonly (string | undefined)[]): void {
    const key = JSON.stringify(values.map((v) => v ?? ""));
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Records added. */
  get records(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** k: the size of the smallest class, or null when no record was added. */
  k(): number | null {
    let k: number | null = null;
    for (const c of this.counts.values()) if (k === null || c < k) k = c;
    return k;
  }

  /** How many classes have fewer than `k` records (the ones a release at that k would have to treat). */
  classesBelow(k: number): number {
    let n = 0;
    for (const c of this.counts.values()) if (c < k) n++;
    return n;
  }
}
