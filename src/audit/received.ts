/**
 * AuditEvents received from other systems (IHE BALP / ATNA "Record Audit Event": `POST /fhir/AuditEvent`,
 * docs/AUDIT.md): an audit source (a system token) records its own events in the gateway's audit repository. They go
 * into the same hash-chained log as the gateway's own, so they are as tamper-evident, and are never changed or
 * deleted. Each is stamped with the sending organisation (owner tag) and a `received` origin tag, and may not pass
 * itself off as one of the gateway's own (which claim the TFG-AuditEvent profile).
 */
import type { Actor } from "../auth/actor.js";
import { withOwner } from "../auth/ownership.js";
import { codeSystemUrl } from "../fhir/canonical.js";
import { forbidden, GatewayError } from "../fhir/errors.js";
import type { ResourceJson } from "../fhir/resource-body.js";
import type { Store } from "../store/port.js";
import { AUDIT_EVENT_PROFILE } from "./audit-event.js";
import { recordAudit } from "./audit-log.js";

/** Roles that may record AuditEvents: audit sources are systems (an EPR, a case management system). */
export const AUDIT_RECORDER_ROLES: readonly Actor["role"][] = ["system"];

/** The tag every received AuditEvent carries: where the record came from. */
export const RECEIVED_TAG = { system: codeSystemUrl("audit-origin"), code: "received" } as const;

/** 403 unless `actor` may record AuditEvents. */
export function assertMayRecordAudit(actor: Actor): void {
  if (!AUDIT_RECORDER_ROLES.includes(actor.role)) {
    throw forbidden("Only a system may record AuditEvents (an audit source, IHE BALP Record Audit Event)", [
      "AuditEvent",
    ]);
  }
}

/** Who sends a received AuditEvent, as the resource service knows it. */
export interface AuditSender {
  org: string;
}

/**
 * Records `event` sent by `sender` as AuditEvent/{id}, version 1, `meta.lastUpdated` `now`, in the audit chain.
 * 422 when it claims the gateway's own audit profile; 403 without a sending organisation. `event` must already
 * conform to R4 (the resource service checks it first). Resolves with the stored resource.
 */
export async function recordReceivedAudit(
  store: Store,
  event: ResourceJson,
  sender: AuditSender | undefined,
  id: string,
  now: string,
): Promise<Record<string, unknown>> {
  if (!sender?.org) throw forbidden("Recording an AuditEvent needs the sending organisation", ["AuditEvent"]);
  const meta = (event.meta as { profile?: unknown; tag?: unknown } | undefined) ?? {};
  const profiles = Array.isArray(meta.profile) ? (meta.profile as unknown[]) : [];
  const own = profiles.findIndex((p) => typeof p === "string" && p.split("|")[0] === AUDIT_EVENT_PROFILE);
  if (own >= 0) {
    throw new GatewayError(422, "not-the-gateways", [
      {
        severity: "error",
        code: "value",
        diagnostics:
          "The TFG-AuditEvent profile marks the gateway's own audit records; a received AuditEvent may not claim it",
        expression: [`AuditEvent.meta.profile[${own}]`],
      },
    ]);
  }
  const tags = (Array.isArray(meta.tag) ? (meta.tag as { system?: unknown }[]) : []).filter(
    (t) => t?.system !== RECEIVED_TAG.system,
  );
  const tagged = withOwner({ ...event, id, meta: { ...meta, tag: [...tags, { ...RECEIVED_TAG }] } }, sender.org);
  return recordAudit(store, tagged, undefined, now);
}
