/**
 * The auditor: one call that builds the AuditEvent of a decision (audit-event.ts) from the injected clock and id
 * generator and records it (audit-log.ts), with the Tasks the decision asks for: disclosure notices
 * (disclosure-notice.ts) and the break-glass review (break-glass-review-task.ts). What every enforcement point calls
 * before data leaves.
 */
import type { Actor } from "../auth/actor.js";
import { prepareWrite } from "../fhir/resource-service.js";
import type { Store } from "../store/port.js";
import { type AuditAccess, type AuditDecision, type AuditSource, buildAuditEvent } from "./audit-event.js";
import { AuditWriteError, recordAudit } from "./audit-log.js";
import { breakGlassReviewTasks } from "./break-glass-review-task.js";
import { disclosureNotices } from "./disclosure-notice.js";

/** Records decisions; throws AuditWriteError when a record cannot be written (the caller then refuses the access). */
export interface Auditor {
  record(actor: Actor, access: AuditAccess, decision: AuditDecision): Promise<Record<string, unknown>>;
}

/** What an auditor is built from: the store, the clock and id generator of the app, and who the gateway is. */
export interface AuditorDeps {
  store: Store;
  clock: () => Date;
  newId: () => string;
  source: AuditSource;
}

/** An auditor writing to `deps.store`. */
export function createAuditor(deps: AuditorDeps): Auditor {
  return {
    record: async (actor, access, decision) => {
      const event = buildAuditEvent({
        id: deps.newId(),
        recorded: deps.clock(),
        actor,
        access,
        decision,
        source: deps.source,
      });
      // The Tasks first (in one commit), then the AuditEvent: the audit trail may live in another database
      // (store/audit-routed.ts), so they cannot share a commit, and a Task without its AuditEvent (the read then
      // refused) errs on the side of telling the lead. Either failing refuses the read.
      const notices = [
        ...disclosureNotices(event, access, decision, actor.org),
        ...breakGlassReviewTasks(event, access, decision, actor),
      ];
      if (notices.length > 0) {
        const at = String(event.recorded);
        try {
          await deps.store.commit({ resources: notices.map((n) => prepareWrite(n.resourceType, n.id, 1, at, n)) });
        } catch (err) {
          throw new AuditWriteError(err);
        }
      }
      return recordAudit(deps.store, event);
    },
  };
}
