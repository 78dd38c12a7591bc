/**
 * The audit port of enforcement (issue 10 scopes 5 and 7): one entry per request that reads data out of /fhir,
 * with every decision made for it. Codes, rule ids and record keys only — never a stated reason or justification.
 */
import type { Actor } from "../auth/actor.js";
import type { Level } from "./levels.js";

/** A read interaction that enforcement decides. */
export type AuditInteraction =
  | "read"
  | "vread"
  | "history-instance"
  | "history-type"
  | "history-system"
  | "search-type";

/** One record's decision, as audited. */
export interface AuditDecision {
  /** `Type/id` (and `/_history/n` for a version) of the record decided. */
  record: string;
  /** `Patient/id` of the person or people the record is about (none for a record about no one). */
  subjects: readonly string[];
  effect: "permit" | "deny";
  level: Level;
  rule: string;
  legalBasis?: string;
  /**
   * The obligations the permit carried, by kind (their details, which may hold a justification, are not here), an
   * `expires-after` with the instant it ends (decision.ts `obligationLabel`).
   */
  obligations: readonly string[];
  /** Organisations whose safeguarding lead must be told of this disclosure (`notify-record-owner-safeguarding-lead`). */
  notify?: readonly string[];
}

/** One request's entry. */
export interface AuditEntry {
  /** The instant the request was decided at (ISO 8601). */
  at: string;
  /** The verified caller (no secret: the token itself is never here, only its id). */
  actor: Actor;
  purpose: Actor["purposeOfUse"];
  /** Whether the caller stated a reason (the reason itself is never audited here). */
  reasonGiven: boolean;
  interaction: AuditInteraction;
  /** What was asked for: `Type/id`, `Type/id/_history/n`, `Type` or `*` (system history). */
  target: string;
  /** Every `Patient/id` a decision was about, sorted. */
  subjects: readonly string[];
  /** The lowest level any permitted record was shown at, `none` when nothing was. */
  level: Level;
  /** The rules that decided, sorted. */
  rules: readonly string[];
  /** The legal bases of the permits, sorted. */
  legalBases: readonly string[];
  /** The obligations of the permits as recorded (kinds; `expires-after` with its instant), sorted. */
  obligations: readonly string[];
  /** `permit`: nothing decided was withheld (also when nothing matched); `deny`: nothing was shown; `partial`: some was. */
  outcome: "permit" | "deny" | "partial";
  decisions: readonly AuditDecision[];
}

/** Where enforcement records its entries. Throwing refuses the read (503 "audit unavailable"). */
export interface AuditSink {
  record(entry: AuditEntry): Promise<void>;
}

/** An audit sink that keeps entries in memory (tests, and a development server without the audit log). */
export class MemoryAuditSink implements AuditSink {
  readonly entries: AuditEntry[] = [];
  async record(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }
}
