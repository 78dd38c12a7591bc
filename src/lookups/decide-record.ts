/**
 * One lookup decision (docs/LOOKUPS.md): the relationships between the caller and a person (ViewRelationshipResolver),
 * the person's consents, the policy's decision for one record about them, and its AuditEvent, written before anything
 * about the record leaves. If the audit cannot be written the auditor throws and the lookup is refused (503).
 */
import type { Auditor } from "../audit/auditor.js";
import type { Actor } from "../auth/actor.js";
import { ownersOf } from "../auth/ownership.js";
import type { DerivedResource } from "../derive/port.js";
import type { Lookup } from "../households/lookup.js";
import { consentFactsFrom } from "../policy/consent.js";
import { decide } from "../policy/decide.js";
import { auditDecisionOf, type Decision } from "../policy/decision.js";
import type { Policy } from "../policy/policy.js";
import type { RelationshipResolver } from "../policy/relationships.js";

/** What a lookup decides with. */
export interface LookupContext {
  actor: Actor;
  policy: Policy;
  lookup: Lookup;
  resolver: RelationshipResolver;
  auditor: Auditor;
  /** The instant decided at (ISO 8601, from the app's clock). */
  at: string;
  /** The operation audited, with its `$`. */
  operation: "$household-check" | "$family";
  /** A reason the caller stated (X-Access-Reason header): break-glass reason or section 47 justification. */
  reason?: string | undefined;
}

/** `key` and every Patient record the person index links with it, sorted. */
export async function personKeys(lookup: Lookup, key: string): Promise<string[]> {
  const mates = await lookup.personMates(key);
  return [...new Set([key, ...mates.map((m) => m.patient)])].sort();
}

/**
 * Decides whether the caller may see `record` (about the person `subject`, a `Patient/id`), and audits the decision
 * (permit and deny alike) before returning it.
 */
export async function decideRecord(
  ctx: LookupContext,
  subject: string,
  record: DerivedResource,
  owners: readonly string[] = ownersOf(record),
): Promise<Decision> {
  const resolved = await ctx.resolver.resolve(ctx.actor, subject, ctx.at);
  const keys = await personKeys(ctx.lookup, subject);
  const consents: DerivedResource[] = [];
  const patients: DerivedResource[] = [];
  for (const k of keys) {
    consents.push(...(await ctx.lookup.byReference("Consent", "patient", k)));
    const p = await ctx.lookup.read(k);
    if (p) patients.push(p);
  }
  const decision = decide(ctx.policy, {
    actor: ctx.actor,
    subject: { kind: resolved.kind, owners, resourceType: record.resourceType },
    relationships: resolved.facts,
    consents: consentFactsFrom(consents, keys, patients),
    ...(ctx.reason ? { reason: ctx.reason } : {}),
    at: ctx.at,
  });
  await ctx.auditor.record(
    ctx.actor,
    {
      interaction: "operation",
      operation: ctx.operation,
      resourceType: record.resourceType,
      resource: `${record.resourceType}/${record.id}`,
      patient: subject,
    },
    auditDecisionOf(decision),
  );
  return decision;
}
