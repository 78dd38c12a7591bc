// Synthetic actors and decisions for the audit tests (Web APIs only, so the workers tests share them).
import type { AuditDecision } from "../../src/audit/audit-event.js";
import { createAuditor } from "../../src/audit/auditor.js";
import type { Actor } from "../../src/auth/actor.js";
import type { Store } from "../../src/store/port.js";

/** A children's social worker of LA 316 acting under section 47. */
export const SOCIAL_WORKER: Actor = {
  subject: "sw-0001",
  issuer: "https://idp.test.invalid",
  org: "316",
  orgType: "la-childrens-services",
  role: "practitioner",
  purposeOfUse: "safeguarding-s47",
  tokenId: { kind: "jti", value: "jti-0001" },
};

/** The s47 permit of DOMAIN.md §4. */
export const S47_PERMIT: AuditDecision = {
  effect: "permit",
  level: "summary",
  legalBasis: "Children Act 1989 s47; DPA 2018 Sch. 1 Part 2 para 18",
  rule: "csc-s47-household-adult",
  obligations: ["notify-adult-safeguarding-lead"],
  reasons: ["child open to the caller's LA", "adult in the child's household"],
};

/** A default deny. */
export const NO_RELATIONSHIP: AuditDecision = {
  effect: "deny",
  level: "none",
  rule: "default-deny",
  reasons: ["no legitimate relationship"],
};

/** Records `n` reads of Patient/p{i} with ids a0001…; returns the ids in order. */
export async function recordReads(store: Store, n: number, start = 0): Promise<string[]> {
  let next = start;
  const auditor = createAuditor({
    store,
    clock: () => new Date(Date.UTC(2026, 11, 2, 10, 0, 0, next)),
    newId: () => `a${String(next).padStart(4, "0")}`,
    source: { name: "Think Family Gateway" },
  });
  const ids: string[] = [];
  for (; next < start + n; ) {
    const i = next;
    const event = await auditor.record(
      SOCIAL_WORKER,
      { interaction: "read", resourceType: "Patient", resource: `Patient/p${i}`, patient: `Patient/p${i}` },
      i % 3 === 2 ? NO_RELATIONSHIP : S47_PERMIT,
    );
    ids.push(event.id as string);
    next++;
  }
  return ids;
}
