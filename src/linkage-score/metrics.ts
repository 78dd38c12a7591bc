/** Precision, recall and F1 from counts, and tallies of them split by named attributes. */

/** Counts and measures of one split. */
export interface ScoreRow {
  split: string;
  tp: number;
  fp: number;
  fn: number;
  /** tp / (tp + fp); null when nothing was predicted. */
  precision: number | null;
  /** tp / (tp + fn); null when nothing is true. */
  recall: number | null;
  /** The harmonic mean of precision and recall; null when either is. */
  f1: number | null;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** The measures of one set of counts. */
export function scoreRow(split: string, tp: number, fp: number, fn: number): ScoreRow {
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const f1 =
    precision === null || recall === null
      ? null
      : precision + recall === 0
        ? 0
        : (2 * precision * recall) / (precision + recall);
  return { split, tp, fp, fn, precision, recall, f1 };
}

/** Counts outcomes under every split they belong to ("all" always), then gives rows in a stable order. */
export class Tally {
  private readonly counts = new Map<string, { tp: number; fp: number; fn: number }>();

  /** Counts one outcome (a true positive, false positive or false negative) under `splits` and "all". */
  add(outcome: "tp" | "fp" | "fn", splits: Iterable<string>): void {
    for (const s of new Set(["all", ...splits])) {
      const c = this.counts.get(s) ?? { tp: 0, fp: 0, fn: 0 };
      c[outcome]++;
      this.counts.set(s, c);
    }
  }

  /** Rows: "all", then `order` (those present, or every one when `always`), then the rest by name. */
  rows(order: readonly string[] = [], always = false): ScoreRow[] {
    const names = [
      "all",
      ...order.filter((s) => always || this.counts.has(s)),
      ...[...this.counts.keys()].filter((s) => s !== "all" && !order.includes(s)).sort(),
    ];
    return names.map((s) => {
      const c = this.counts.get(s) ?? { tp: 0, fp: 0, fn: 0 };
      return scoreRow(s, c.tp, c.fp, c.fn);
    });
  }
}
