/**
 * The decision engine (DOMAIN.md §4; issue 10 scope 1): a pure function of the protocol and one
 * request's facts. The first rule whose conditions all hold decides; when none holds the read is
 * denied (`default-deny`, built in so no file can remove it). No clock: the request carries its instant.
 */
import { consentState } from "./consent.js";
import type { Decision, Obligation } from "./decision.js";
import { addDuration } from "./duration.js";
import { type DecisionRequest, NO_CONSENTS, NO_RELATIONSHIP } from "./facts.js";
import type { Policy, Rule } from "./policy.js";
import type { ConsentState, ObligationKind, Relationship } from "./schema.js";

/** The rule id of a decision no rule made. */
export const DEFAULT_DENY = "default-deny";

/** The relationships that hold for a request (`none` when no other does). */
export function relationshipsOf(request: DecisionRequest): Relationship[] {
  const out: Relationship[] = [];
  const org = request.actor.org.trim().toUpperCase();
  if (request.subject.owners.some((o) => o.trim().toUpperCase() === org)) out.push("recording-organisation");
  if (request.relationships.caseload) out.push("caseload");
  if (request.relationships.householdOfOpenChild) out.push("household-of-open-child");
  if (request.relationships.childOfCaseloadPatient) out.push("child-of-caseload-patient");
  if (request.subject.reviewedOwners?.some((o) => o.trim().toUpperCase() === org)) out.push("match-review");
  if (out.length === 0) out.push("none");
  return out;
}

const reasonOf = (request: { reason?: string }): string | undefined => {
  const r = request.reason?.trim();
  return r ? r : undefined;
};

/** Why a rule does not match, or undefined when it does. */
function mismatch(
  rule: Rule,
  request: DecisionRequest,
  relationships: readonly Relationship[],
  consent: ConsentState,
): string | undefined {
  const w = rule.when;
  const { actor, subject } = request;
  if (w.access && !w.access.includes(request.access ?? "record")) return "access";
  if (w.orgTypes && !w.orgTypes.includes(actor.orgType)) return "organisation type";
  if (w.roles && !w.roles.includes(actor.role)) return "role";
  if (w.purposes && !w.purposes.includes(actor.purposeOfUse)) return "purpose";
  if (w.subjects && (subject.kind === "unknown" || !w.subjects.includes(subject.kind))) return "subject";
  if (w.relationships && !w.relationships.some((r) => relationships.includes(r))) return "relationship";
  if (w.consent && !w.consent.includes(consent)) return "consent";
  if (w.reasonGiven && reasonOf(request) === undefined) return "reason";
  return undefined;
}

function obligation(
  kind: ObligationKind,
  rule: Extract<Rule, { effect: "permit" }>,
  policy: Policy,
  request: QuickRequest,
  consentSources: readonly string[],
): Obligation {
  const reason = reasonOf(request) ?? "";
  switch (kind) {
    case "notify-record-owner-safeguarding-lead":
      return { kind, organisations: [...new Set(request.subject.owners)].sort() };
    case "record-s47-override":
      return { kind, justification: reason, legalBasis: rule.legalBasis, overridden: consentSources };
    case "record-s47-justification":
      return { kind, justification: reason, legalBasis: rule.legalBasis };
    case "tell-caller-consent-needed":
      return { kind, message: "More can be shared only with the person's consent to share with children's services." };
    case "review-by-safeguarding-lead":
      return { kind, organisation: request.actor.org, reason };
    case "expires-after":
      return {
        kind,
        duration: policy.breakGlassExpiresAfter,
        until: addDuration(request.at, policy.breakGlassExpiresAfter),
      };
  }
}

/** Whether one condition of a rule holds, fails, or depends on a fact not read yet. */
type Holds = "ok" | "fail" | "unknown";

/** Relationships the engine derives from the record's own tags; the others need reading (RelationshipFacts). */
const TAG_RELATIONSHIPS: readonly Relationship[] = ["recording-organisation", "match-review"];

/** What {@link settle} decides from: the request without the facts that need reading (subject's age, relationships, consents). */
export interface QuickRequest {
  actor: DecisionRequest["actor"];
  access?: DecisionRequest["access"];
  subject: Omit<DecisionRequest["subject"], "kind">;
  reason?: string;
  at: string;
}

/** The state of each of a rule's conditions, in {@link mismatch}'s order, knowing only `request`'s facts. */
function quickConditions(rule: Rule, request: QuickRequest, tagged: readonly Relationship[]): [Holds, boolean][] {
  const w = rule.when;
  const { actor } = request;
  const known = (applies: unknown, holds: boolean): Holds => (applies === undefined || holds ? "ok" : "fail");
  let relationship: Holds = "ok";
  if (w.relationships) {
    if (w.relationships.some((r) => tagged.includes(r))) relationship = "ok";
    else if (w.relationships.some((r) => !TAG_RELATIONSHIPS.includes(r) && (r !== "none" || tagged.length === 0)))
      relationship = "unknown";
    else relationship = "fail";
  }
  // [state, whether this is the stated-reason condition (a failure there is noted in the reasons)]
  return [
    [known(w.access, w.access?.includes(request.access ?? "record") ?? true), false],
    [known(w.orgTypes, w.orgTypes?.includes(actor.orgType) ?? true), false],
    [known(w.roles, w.roles?.includes(actor.role) ?? true), false],
    [known(w.purposes, w.purposes?.includes(actor.purposeOfUse) ?? true), false],
    [w.subjects ? "unknown" : "ok", false],
    [relationship, false],
    [w.consent ? "unknown" : "ok", false],
    [known(w.reasonGiven, reasonOf(request) !== undefined), true],
  ];
}

/**
 * The decision {@link decide} would make, when it follows from the caller, the purpose, the stated reason and the
 * record's own tags alone, whatever the subject's age, relationships and consents turn out to be; undefined when a
 * rule that could decide depends on one of those (read them, then call {@link decide}). The rules are walked as
 * decide walks them: a rule skipped here is skipped there for every value of the unread facts. A settled decision
 * has no `consent` (none was read) and says so in its reasons. Lets a read of the caller's own record skip the
 * lookups (episodes, households, the person index, consents) that relationships and consent need.
 */
export function settle(policy: Policy, request: QuickRequest): Decision | undefined {
  if (Number.isNaN(Date.parse(request.at))) return undefined;
  const tagged = relationshipsOf({
    ...request,
    subject: { ...request.subject, kind: "unknown" },
    relationships: NO_RELATIONSHIP,
    consents: NO_CONSENTS,
  }).filter((r) => r !== "none");
  const needsReason: string[] = [];
  for (const rule of policy.rules) {
    const conditions = quickConditions(rule, request, tagged);
    const first = conditions.findIndex(([state]) => state !== "ok");
    if (first >= 0) {
      const [state, isReason] = conditions[first] as [Holds, boolean];
      if (state === "fail") {
        if (isReason) needsReason.push(rule.id);
        continue;
      }
      // An unread fact comes first: the rule is skipped for every value of it only when a later condition other
      // than the stated reason fails (decide then skips it without noting a missing reason).
      if (conditions.slice(first + 1).some(([st, reasonCondition]) => st === "fail" && !reasonCondition)) continue;
      return undefined;
    }
    if (rule.effect === "permit" && rule.obligations.includes("record-s47-override")) return undefined;
    const { actor } = request;
    const reasons = [
      `rule ${rule.id}: ${rule.description}`,
      `${actor.orgType} ${actor.role} ${actor.purposeOfUse}; relationship ${tagged.join(",") || "none known"}; decided without reading the subject's age, other relationships or consent (no rule before this one depends on them)`,
      ...needsReason.map((id) => `rule ${id} needs a stated reason and none was given`),
    ];
    return ruleDecision(policy, rule, request, reasons);
  }
  return undefined;
}

/** The decision `rule` makes; `consent` when it was read (its sources feed the s47-override obligation). */
function ruleDecision(
  policy: Policy,
  rule: Rule,
  request: QuickRequest,
  reasons: readonly string[],
  consent?: Decision["consent"],
): Decision {
  const base = { policy: `${policy.name} (${policy.file})`, ...(consent ? { consent } : {}) };
  if (rule.effect === "deny")
    return { ...base, effect: "deny", level: "none", rule: rule.id, obligations: [], reasons };
  return {
    ...base,
    effect: "permit",
    level: rule.level,
    legalBasis: rule.legalBasis,
    rule: rule.id,
    obligations: rule.obligations.map((k) => obligation(k, rule, policy, request, consent?.sources ?? [])),
    reasons,
  };
}

/** Decides one request under `policy`. */
export function decide(policy: Policy, request: DecisionRequest): Decision {
  if (Number.isNaN(Date.parse(request.at))) {
    return {
      policy: `${policy.name} (${policy.file})`,
      consent: { state: "none", sources: [] },
      effect: "deny",
      level: "none",
      rule: DEFAULT_DENY,
      obligations: [],
      reasons: ["the request has no valid instant to decide at (deny by default)"],
    };
  }
  const relationships = relationshipsOf(request);
  const consent = consentState(request.consents, request.actor, request.at);
  const { actor } = request;
  const facts = `${actor.orgType} ${actor.role} ${actor.purposeOfUse}; subject ${request.subject.kind}; relationship ${relationships.join(",")}; consent ${consent.state}`;
  const base = { policy: `${policy.name} (${policy.file})`, consent };
  const needsReason: string[] = [];
  for (const rule of policy.rules) {
    const why = mismatch(rule, request, relationships, consent.state);
    if (why === "reason") needsReason.push(rule.id);
    if (why !== undefined) continue;
    const reasons = [`rule ${rule.id}: ${rule.description}`, facts];
    if (consent.sources.length > 0) reasons.push(`consent ${consent.state} from ${consent.sources.join(", ")}`);
    for (const id of needsReason) reasons.push(`rule ${id} needs a stated reason and none was given`);
    return ruleDecision(policy, rule, request, reasons, consent);
  }
  const reasons = ["no rule permits this read (deny by default)", facts];
  for (const id of needsReason) reasons.push(`rule ${id} needs a stated reason and none was given`);
  return { ...base, effect: "deny", level: "none", rule: DEFAULT_DENY, obligations: [], reasons };
}
