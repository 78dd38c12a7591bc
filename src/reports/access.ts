/**
 * Who may read the organisation reports (docs/REPORTS.md) — managers, safeguarding leads and systems, for their own
 * organisation; person-level lists not under `statistics` — as an audit decision, so every report read, API or
 * console, permit or deny, is an AuditEvent before anything is answered.
 */
import type { AuditAccess, AuditDecision } from "../audit/audit-event.js";
import type { Auditor } from "../audit/auditor.js";
import type { Actor } from "../auth/actor.js";
import { forbidden } from "../fhir/errors.js";

/** Roles that may read reports (src/auth/actor.ts ROLES): managers, safeguarding leads and systems. */
export const REPORT_ROLES: readonly Actor["role"][] = ["manager", "safeguarding-lead", "system"];

/** The rule id recorded for report reads. */
export const REPORT_RULE = "reports-own-organisation";

/** The identifier system naming a report in AuditEvent.entity.what (`<org>/<report>`). */
export const REPORT_SYSTEM = "urn:think-family-gateway:report";

/** The reports. */
export type ReportKind = "worklist" | "not-recorded" | "completeness";

/** Why a report read is refused: the audit's reason, and what the 403 tells the caller and where. */
const REFUSALS = {
  role: {
    reason: "role may not read reports",
    message: "Reports are for managers, safeguarding leads and systems of the organisation",
  },
  purpose_of_use: {
    reason: "under statistics only aggregates are released, not lists of people",
    message: "Under the statistics purpose only aggregates are released, not lists of people",
  },
} as const;

/** What refuses `actor` reading `report`, or undefined when it may. */
function refusalOf(actor: Actor, report: ReportKind): keyof typeof REFUSALS | undefined {
  if (!REPORT_ROLES.includes(actor.role)) return "role";
  if (report !== "completeness" && actor.purposeOfUse === "statistics") return "purpose_of_use";
  return undefined;
}

/** The decision for `actor` reading `report` of its own organisation. */
export function reportDecision(actor: Actor, report: ReportKind): AuditDecision {
  const refusal = refusalOf(actor, report);
  if (refusal) return { effect: "deny", level: "none", rule: REPORT_RULE, reasons: [REFUSALS[refusal].reason] };
  return {
    effect: "permit",
    level: "summary",
    rule: REPORT_RULE,
    legalBasis: "The organisation's own records (UK GDPR Art. 6(1)(e), Art. 9(2)(h))",
    reasons: ["the organisation's own report"],
  };
}

/**
 * Decides and audits `actor` reading `report`: resolves when permitted (the permit recorded), throws 403 after
 * recording the deny. A failed audit write refuses the read (503, as every audited read).
 */
export async function authoriseReport(auditor: Auditor, actor: Actor, report: ReportKind): Promise<void> {
  const access: AuditAccess = {
    interaction: "operation",
    operation: `$report-${report}`,
    object: { system: REPORT_SYSTEM, value: `${actor.org}/${report}` },
  };
  await auditor.record(actor, access, reportDecision(actor, report));
  const refusal = refusalOf(actor, report);
  if (refusal) throw forbidden(REFUSALS[refusal].message, [refusal]);
}

/**
 * Audits, per person, the rows of a person-level report before they leave: one AuditEvent per patient of `rows` (the
 * report's permit, naming the patient and the episode when the patient has one row), so "who has looked at this
 * person's record" finds the report reads too. The records go into one group commit; a failed write refuses the
 * rows (503) after what was already answered.
 */
export async function auditReportRows(
  auditor: Auditor,
  actor: Actor,
  report: ReportKind,
  rows: readonly { patient: string; episode?: string }[],
): Promise<void> {
  const byPatient = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = byPatient.get(r.patient) ?? new Set<string>();
    if (r.episode) set.add(r.episode);
    byPatient.set(r.patient, set);
  }
  const decision = reportDecision(actor, report);
  await Promise.all(
    [...byPatient].map(([patient, episodes]) => {
      const [only] = episodes;
      const access: AuditAccess = {
        interaction: "operation",
        operation: `$report-${report}`,
        patient,
        ...(episodes.size === 1 && only ? { resourceType: only.split("/")[0], resource: only } : {}),
        object: { system: REPORT_SYSTEM, value: `${actor.org}/${report}` },
      };
      return auditor.record(actor, access, decision);
    }),
  );
}
