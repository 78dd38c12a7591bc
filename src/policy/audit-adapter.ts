/**
 * Enforcement's audit entries written as one audit record per record decided, for an auditor that records one
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
 * An {@link AuditSink} over `auditor`: one call per record decided and per person it is about (a record about no one,
 * once without a patient); a request that decided nothing (nothing matched, or the record does not exist) once, as a
 * permit of level `none` under rule `nothing-matched`. Calls are made in order; the first that throws stops the rest
 * and refuses the read.
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
      for (const d of entry.decisions) {
        const resource = d.record.split("/_history/")[0] as string;
        const decision: DecisionRecord = {
          effect: d.effect,
          level: d.level,
          rule: d.rule,
          ...(d.legalBasis !== undefined ? { legalBasis: d.legalBasis } : {}),
          ...(d.obligations.length > 0 ? { obligations: d.obligations } : {}),
        };
        const patients = d.subjects.length > 0 ? d.subjects : [undefined];
        for (const patient of patients) {
          await auditor.record(
            entry.actor,
            { ...base, resourceType: resource.split("/")[0] as string, resource, ...(patient ? { patient } : {}) },
            decision,
          );
        }
      }
    },
  };
}
