/** National returns: the shapes the builders (src/returns/build.ts) and the jobs that run them (src/returns/jobs) share. */
import type { Store } from "../store/port.js";

/** The returns the gateway produces (docs/RETURNS.md; DOMAIN.md §5). */
export const RETURN_KINDS = ["mh-children", "ndtms", "cin-census", "cin-census-analytic", "hidden-harm"] as const;

/** One kind of national return. */
export type ReturnKind = (typeof RETURN_KINDS)[number];

/** An inclusive period of whole days, `YYYY-MM-DD`. */
export interface ReturnPeriod {
  start: string;
  end: string;
}

/**
 * Whose data a return covers. `org` is a provider (ODS code) or drug service agency; `la` a local authority code;
 * a CIN census also names its collection `year` (the census year ending 31 March of `year`).
 */
export interface ReturnScope {
  org?: string;
  la?: string;
  year?: number;
}

/** What a job asks a builder for. */
export interface ReturnRequest {
  kind: ReturnKind;
  period: ReturnPeriod;
  scope: ReturnScope;
}

/** A keyed-pseudonym key: HMAC-SHA256 secret bytes and the id published with every output keyed by it. */
export interface PseudonymKey {
  id: string;
  secret: Uint8Array;
}

/** The pseudonym keys, one per return kind (so returns cannot be joined without the key holder). */
export interface ReturnKeys {
  /** The current key for `kind`, or undefined when none is configured (the build is then refused). */
  keyFor(kind: ReturnKind): PseudonymKey | undefined;
}

/** Why one cell or value was withheld. */
export interface Suppression {
  /** Where: a cell label (`row|column`) for aggregates, a field name for record-level outputs. */
  cell: string;
  /** `primary`: small count; `secondary`: withheld so a primary one cannot be recomputed from totals; `rounded`. */
  reason: "primary" | "secondary" | "rounded" | "consent" | "generalised";
  /** The rule applied (`nhs-1-7`, `dfe-1-5`, `consent-n`, ...). */
  rule: string;
}

/** The disclosure-risk report every output carries. No identifiable value appears in it. */
export interface RiskReport {
  kind: ReturnKind;
  /** `nhs`: 1–7 → `*`, others to nearest 5; `dfe`: 1–5 → `c` plus secondary; `none` for statutory record-level. */
  rule: "nhs" | "dfe" | "none";
  /** Quasi-identifiers actually released (record-level outputs), or the aggregate's dimensions. */
  quasiIdentifiers: string[];
  /** k-anonymity over `quasiIdentifiers` (record-level), or null for aggregates. */
  k: number | null;
  /** The smallest released non-zero cell (aggregates) or equivalence class (record-level); null when empty. */
  smallestCell: number | null;
  /** Records read and records released. */
  recordsIn: number;
  recordsOut: number;
  /** The pseudonym key id used, when any value was pseudonymised. */
  keyId?: string;
  suppressed: Suppression[];
  /** Plain-language notes (what was generalised and how). */
  notes: string[];
}

/** One output file. */
export interface ReturnFile {
  name: string;
  mediaType: string;
  bytes: Uint8Array;
}

/** A built return: its files and its risk report. */
export interface BuiltReturn {
  files: ReturnFile[];
  risk: RiskReport;
}

/** Progress callback: records read so far, and the total when known. */
export type ReturnProgress = (done: number, total?: number) => void;

/** What a builder reads with. */
export interface ReturnBuildContext {
  store: Store;
  keys: ReturnKeys;
  onProgress?: ReturnProgress;
  signal?: AbortSignal;
}

/** Builds one return from the stored FHIR data. Throws a GatewayError (400/422) for a request it cannot build. */
export type ReturnBuilder = (request: ReturnRequest, context: ReturnBuildContext) => Promise<BuiltReturn>;
