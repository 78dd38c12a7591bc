/**
 * Writes audit records: each AuditEvent goes into the hash-chained log stream `audit` and, in the same commit, into
 * the store as a searchable AuditEvent resource (docs/AUDIT.md). Writing never fails silently: it throws
 * {@link AuditWriteError}, and the caller refuses the read it was auditing.
 */
import { GatewayError } from "../fhir/errors.js";
import { prepareWrite } from "../fhir/resource-service.js";
import { type Store, StoreConflictError } from "../store/port.js";

/** The log stream of the audit trail. */
export const AUDIT_STREAM = "audit";

/** How many times a lost race for the next log sequence is retried before giving up. */
export const AUDIT_WRITE_ATTEMPTS = 25;

/** 503: the audit record could not be written, so the access it recorded is refused. */
export class AuditWriteError extends GatewayError {
  constructor(readonly reason: unknown) {
    super(503, "audit-unavailable", [
      {
        severity: "error",
        code: "transient",
        diagnostics: "The audit record of this request could not be written, so the request was refused; try again",
      },
    ]);
    this.name = "AuditWriteError";
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Appends `event` (an AuditEvent with its id) to the audit stream and stores it as AuditEvent/{id} version 1, in
 * one commit. A concurrent append that took the next sequence number makes the store raise a conflict: the whole
 * commit rolled back, so it is retried (with a short random pause) until it lands. Resolves with the stored
 * AuditEvent; throws {@link AuditWriteError} when it cannot be written.
 */
export async function recordAudit(
  store: Store,
  event: Record<string, unknown>,
  attempts = AUDIT_WRITE_ATTEMPTS,
): Promise<Record<string, unknown>> {
  const id = event.id;
  if (event.resourceType !== "AuditEvent" || typeof id !== "string" || id === "") {
    throw new AuditWriteError(new Error("not an AuditEvent with an id"));
  }
  const recorded = typeof event.recorded === "string" ? event.recorded : new Date(0).toISOString();
  const write = prepareWrite("AuditEvent", id, 1, recorded, { ...event, resourceType: "AuditEvent" });
  const stored = write.resource as Record<string, unknown>;
  write.json = JSON.stringify(stored);
  for (let attempt = 1; ; attempt++) {
    try {
      await store.commit({ resources: [write], log: [{ stream: AUDIT_STREAM, payload: stored }] });
      return stored;
    } catch (err) {
      if (!(err instanceof StoreConflictError) || attempt >= attempts) throw new AuditWriteError(err);
      await pause(Math.floor(Math.random() * 4 * Math.min(attempt, 5)));
    }
  }
}
