/** Assembles the disclosure-risk report every output carries (port.ts RiskReport): defaults, smallest cell, notes. */
import type { ReturnKind, RiskReport, Suppression } from "../port.js";

/** What a builder knows when it finishes; the rest is filled in. */
export interface RiskInput {
  kind: ReturnKind;
  rule: RiskReport["rule"];
  quasiIdentifiers: string[];
  k?: number | null;
  /** Released counts (aggregates): the smallest non-zero one becomes `smallestCell`. */
  releasedCounts?: Iterable<number | string>;
  /** Or the smallest cell directly (record-level: the smallest equivalence class). */
  smallestCell?: number | null;
  recordsIn: number;
  recordsOut: number;
  keyId?: string;
  suppressed?: Suppression[];
  notes?: string[];
}

/** The smallest released non-zero number among `cells` (suppression markers skipped), or null. */
export function smallestNonZero(cells: Iterable<number | string>): number | null {
  let min: number | null = null;
  for (const c of cells) if (typeof c === "number" && c > 0 && (min === null || c < min)) min = c;
  return min;
}

/** Builds the report. */
export function riskReport(input: RiskInput): RiskReport {
  const smallestCell =
    input.smallestCell !== undefined
      ? input.smallestCell
      : input.releasedCounts
        ? smallestNonZero(input.releasedCounts)
        : null;
  return {
    kind: input.kind,
    rule: input.rule,
    quasiIdentifiers: [...input.quasiIdentifiers],
    k: input.k ?? null,
    smallestCell,
    recordsIn: input.recordsIn,
    recordsOut: input.recordsOut,
    ...(input.keyId ? { keyId: input.keyId } : {}),
    suppressed: input.suppressed ?? [],
    notes: input.notes ?? [],
  };
}
