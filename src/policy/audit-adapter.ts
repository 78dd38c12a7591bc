/**
 * Enforcement's audit entries written as one audit record per person and distinct decision, for an auditor that records one
 * decision about one patient at a time (the shape of src/audit's `Auditor.record(actor, access, decision)`, typed
 * here structurally so src/policy does not depend on src/audit).
 */
import type { Actor } from "../auth/actor.js";
import type { AuditEntry, AuditSink } from "./audit.js";

/** What is read, as a one-decision auditor takes it. */
export interface DecisionAccess {
  interaction: "read" | "vread" | "search" | "history";
  resourceType?: string;
  resource?: string;
  patient?: string;
}

/** One decision, as a one-decision auditor takes it (obligations as kinds; no reasons: they may hold text). */
export interface DecisionRecord {
  effect: "permit" | "deny";
  level: "none" | "existence" | "contact" | "summary" | "sensitive";
  legalBasis?: string;
  rule: string;
  obligations?: readonly string[];
  /** Organisations whose safeguarding lead must be told of the disclosure. */
  notify?: readonly string[];
}

/** An auditor recording one decision about (at most) one patient per call; throwing refuses the read. */
export interface DecisionAuditor {
  record(actor: Actor, access: DecisionAccess, decision: DecisionRecord): Promise<unknown>;
}

const INTERACTION: Record<AuditEntry["interaction"], DecisionAccess["interaction"]> = {
  read: "read",
  vread: "vread",
  "history-instance": "history",
  "history-type": "history",
  "history-system": "history",
  "search-type": "search",
};

/**
 * An {@link AuditSink} over `auditor`: one call per person a decision was about and per distinct decision about them
 * (effect, level, rule, legal basis, obligations) — so "who looked at this person's record" finds every permit and
 * deny, and a search showing one person's ten records at one level is one call, naming the record when there is just
 * one. Records about no one are grouped the same way without a patient. A request that decided nothing (nothing
 * matched, or no such record) is one call, a permit of level `none` under rule `nothing-matched`. Calls are made in
 * order; the first that throws stops the rest and refuses the read.
 */
export function auditSinkFor(auditor: DecisionAuditor): AuditSink {
  return {
    async record(entry) {
      const [type, id] = entry.target.split("/");
      const base: DecisionAccess = {
        interaction: INTERACTION[entry.interaction],
        ...(type && type !== "*" ? { resourceType: type } : {}),
        ...(id ? { resource: `${type}/${id}` } : {}),
      };
      if (entry.decisions.length === 0) {
        await auditor.record(entry.actor, base, { effect: "permit", level: "none", rule: "nothing-matched" });
        return;
      }
      const groups = new Map<string, { patient?: string; decision: DecisionRecord; records: Set<string> }>();
      for (const d of entry.decisions) {
        const decision: DecisionRecord = {
          effect: d.effect,
          level: d.level,
          rule: d.rule,
          ...(d.legalBasis !== undefined ? { legalBasis: d.legalBasis } : {}),
          ...(d.obligations.length > 0 ? { obligations: d.obligations } : {}),
          ...(d.notify && d.notify.length > 0 ? { notify: d.notify } : {}),
        };
        const resource = d.record.split("/_history/")[0] as string;
        for (const patient of d.subjects.length > 0 ? d.subjects : [undefined]) {
          const key = JSON.stringify([patient ?? "", decision]);
          const group = groups.get(key) ?? { ...(patient ? { patient } : {}), decision, records: new Set<string>() };
          group.records.add(resource);
          groups.set(key, group);
        }
      }
      for (const g of groups.values()) {
        const [only] = g.records;
        const access: DecisionAccess = {
          ...base,
          ...(g.records.size === 1 && only ? { resourceType: only.split("/")[0] as string, resource: only } : {}),
          ...(g.patient ? { patient: g.patient } : {}),
        };
        await auditor.record(entry.actor, access, g.decision);
      }
    },
  };
}
