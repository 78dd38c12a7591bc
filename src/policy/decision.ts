/** What the engine answers: permit or deny, the level, the legal basis, the rule, obligations and reasons. */
import type { AuditDecision } from "../audit/audit-event.js";
import type { Level } from "./levels.js";
import type { ConsentState } from "./schema.js";

/** Something the caller of the engine must do when it acts on a permit (the audit records each). */
export type Obligation =
  | {
      /** Tell the safeguarding lead of the organisation(s) that own the record that it was disclosed. */
      kind: "notify-record-owner-safeguarding-lead";
      organisations: readonly string[];
    }
  | {
      /** Record that a section 47 enquiry overrode the person's objection: the justification and legal basis. */
      kind: "record-s47-override";
      justification: string;
      legalBasis: string;
      /** The Consents whose objection was overridden. */
      overridden: readonly string[];
    }
  | {
      /** Record the section 47 justification that allowed sensitive detail. */
      kind: "record-s47-justification";
      justification: string;
      legalBasis: string;
    }
  | {
      /** Tell the caller that the person's consent would allow more. */
      kind: "tell-caller-consent-needed";
      message: string;
    }
  | {
      /** Queue the read for review by the caller's organisation's safeguarding lead. */
      kind: "review-by-safeguarding-lead";
      organisation: string;
      reason: string;
    }
  | {
      /** The permit lasts `duration` from the decision: until `until`. */
      kind: "expires-after";
      duration: string;
      until: string;
    };

/** A decision. A deny has level `none` and no obligations. */
export interface Decision {
  effect: "permit" | "deny";
  level: Level;
  /** The legal basis of a permit; for a deny, absent. */
  legalBasis?: string;
  /** The id of the rule that matched, or `default-deny` when none did. */
  rule: string;
  /** The protocol's name and file, so the audit names which protocol decided. */
  policy: string;
  obligations: readonly Obligation[];
  /** Why, in words that carry no identifiable value (codes, rule ids and record keys only). */
  reasons: readonly string[];
  /**
   * The consent state the decision read, and the Consents behind it; absent when the decision was settled without
   * reading consent (decide.ts `settle`: no rule before the deciding one depends on it).
   */
  consent?: { state: ConsentState; sources: readonly string[] };
}

/** `{ notify }`: the organisations a permit's `notify-record-owner-safeguarding-lead` obligation names, if any. */
export function notifyOf(decision: Decision): { notify?: readonly string[] } {
  const orgs = decision.obligations.flatMap((o) =>
    o.kind === "notify-record-owner-safeguarding-lead" ? o.organisations : [],
  );
  return orgs.length > 0 ? { notify: [...new Set(orgs)].sort() } : {};
}

/**
 * An obligation as the audit records it: its kind, and for `expires-after` the instant the permit ends
 * (`expires-after 2026-06-15T14:00:00.000Z`), which the break-glass review Task takes as its end; never a stated reason.
 */
export const obligationLabel = (o: Obligation): string =>
  o.kind === "expires-after" ? `${o.kind} ${o.until}` : o.kind;

/** The decision mapped onto the audit's terms: obligations by kind only (never a stated reason), an expiry with its instant. */
export const auditDecisionOf = (d: Decision): AuditDecision => ({
  effect: d.effect,
  level: d.level,
  legalBasis: d.legalBasis,
  rule: d.rule,
  obligations: d.obligations.map(obligationLabel),
  reasons: d.reasons,
  ...notifyOf(d),
});
