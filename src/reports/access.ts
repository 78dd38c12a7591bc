/**
 * Who may read the organisation reports (docs/REPORTS.md), decided by the sharing protocol (docs/POLICY.md: rules
 * `reports-own-organisation`, `aggregate-reports-own-organisation`, `reports-refused`, and
 * `statistics-aggregates-only` for lists) with the report's organisation as the records' owner, as an audit
 * decision, so every report read, API or console, permit or deny, is an AuditEvent before anything is answered.
 */
import type { AuditAccess } from "../audit/audit-event.js";
import type { Auditor } from "../audit/auditor.js";
import type { Actor } from "../auth/actor.js";
import { forbidden } from "../fhir/errors.js";
import { decide } from "../policy/decide.js";
import { auditDecisionOf, type Decision } from "../policy/decision.js";
import { NO_CONSENTS, NO_RELATIONSHIP } from "../policy/facts.js";
import type { Policy } from "../policy/policy.js";

/** What deciding a report read needs: the protocol, the audit and the app's clock. */
export interface ReportAccess {
  policy: Policy;
  auditor: Auditor;
  clock: () => Date;
}

/** The identifier system naming a report in AuditEvent.entity.what (`<org>/<report>`). */
export const REPORT_SYSTEM = "urn:think-family-gateway:report";

/** The reports. */
export type ReportKind = "worklist" | "not-recorded" | "completeness";

/**
 * The protocol's decision for `actor` reading `report` of its own organisation at `at`: a person-level report is a
 * `person-list`, completeness (counts only) an `aggregate`; the records are the caller's organisation's own.
 */
export function reportDecision(policy: Policy, actor: Actor, report: ReportKind, at: string): Decision {
  return decide(policy, {
    actor,
    access: report === "completeness" ? "aggregate" : "person-list",
    subject: { kind: "unknown", owners: [actor.org] },
    relationships: NO_RELATIONSHIP,
    consents: NO_CONSENTS,
    at,
  });
}

const accessOf = (actor: Actor, report: ReportKind): AuditAccess => ({
  interaction: "operation",
  operation: `$report-${report}`,
  object: { system: REPORT_SYSTEM, value: `${actor.org}/${report}` },
});

/**
 * Decides and audits `actor` reading `report`: resolves with the permit (recorded), throws 403 after recording the
 * deny (the message names the rule, never anything about a person). A failed audit write refuses the read (503, as
 * every audited read).
 */
export async function authoriseReport(deps: ReportAccess, actor: Actor, report: ReportKind): Promise<Decision> {
  const decision = reportDecision(deps.policy, actor, report, deps.clock().toISOString());
  await deps.auditor.record(actor, accessOf(actor, report), auditDecisionOf(decision));
  if (decision.effect !== "permit") {
    // Where the baseline's refusals come from: the purpose for the statistics rule, the role for any other.
    const statistics = decision.rule === "statistics-aggregates-only";
    const why = statistics
      ? "Under the statistics purpose only aggregates are released, not lists of people"
      : "Reports are for managers, safeguarding leads and systems of the organisation";
    throw forbidden(`${why} (sharing protocol rule ${decision.rule})`, [statistics ? "purpose_of_use" : "role"]);
  }
  return decision;
}

/**
 * Audits, per person, the rows of a person-level report before they leave: one AuditEvent per patient of `rows` (the
 * report's permit `decision`, naming the patient and the episode when the patient has one row), so "who has looked at this
 * person's record" finds the report reads too. The records go into one group commit; a failed write refuses the
 * rows (503) after what was already answered.
 */
export async function auditReportRows(
  auditor: Auditor,
  actor: Actor,
  report: ReportKind,
  decision: Decision,
  rows: readonly { patient: string; episode?: string }[],
): Promise<void> {
  const byPatient = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = byPatient.get(r.patient) ?? new Set<string>();
    if (r.episode) set.add(r.episode);
    byPatient.set(r.patient, set);
  }
  const recorded = auditDecisionOf(decision);
  await Promise.all(
    [...byPatient].map(([patient, episodes]) => {
      const [only] = episodes;
      const access: AuditAccess = {
        ...accessOf(actor, report),
        patient,
        ...(episodes.size === 1 && only ? { resourceType: only.split("/")[0], resource: only } : {}),
      };
      return auditor.record(actor, access, recorded);
    }),
  );
}
