/** The ingest report: one result per record, counts, the coverage report and any fatal problem. */
import type { OperationOutcome } from "fhir/r4";

/** What happened to one record. */
export type RecordOutcome = "created" | "updated" | "unchanged" | "rejected";

/** The result for one record. `key` holds local identifiers only (never an NHS number). */
export interface RecordResult {
  index: number;
  label: string;
  key?: string;
  outcome: RecordOutcome;
  /** Resources written or found unchanged, as `Type/id`. */
  resources?: string[];
  /**
   * Resources this record produced before but no longer does (a child taken off the household list),
   * deleted as a new version unless another record still produces them; history keeps them.
   */
  withdrawn?: string[];
  /** Why the record was rejected, or warnings about a stored one. */
  issues?: OperationOutcome;
}

/** Counts by outcome. */
export interface IngestCounts {
  records: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  resourcesWritten: number;
}

/** Fields present but not mapped, and needed fields missing, with how many records each affects. */
export interface CoverageReport {
  unmappedFields: Record<string, number>;
  missingNeededFields: Record<string, { records: number; for: string }>;
}

/** The whole report for one file. */
export interface IngestReport {
  source: string;
  mapping: string;
  mode: "per-record" | "all-or-nothing";
  counts: IngestCounts;
  coverage: CoverageReport;
  /** A problem that stopped reading the file; records before it are reported (and, per record, stored). */
  fatal?: OperationOutcome;
  /** Every record's result, or only the rejected ones when the caller asked to retain just those. */
  records: RecordResult[];
}
