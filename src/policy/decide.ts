/**
 * The decision engine (DOMAIN.md §4; issue 10 scope 1): a pure function of the protocol and one
 * request's facts. The first rule whose conditions all hold decides; when none holds the read is
 * denied (`default-deny`, built in so no file can remove it). No clock: the request carries its instant.
 */
import { consentState } from "./consent.js";
import type { Decision, Obligation } from "./decision.js";
import { addDuration } from "./duration.js";
import type { DecisionRequest } from "./facts.js";
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

const reasonOf = (request: DecisionRequest): string | undefined => {
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
  request: DecisionRequest,
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
    if (rule.effect === "deny")
      return { ...base, effect: "deny", level: "none", rule: rule.id, obligations: [], reasons };
    return {
      ...base,
      effect: "permit",
      level: rule.level,
      legalBasis: rule.legalBasis,
      rule: rule.id,
      obligations: rule.obligations.map((k) => obligation(k, rule, policy, request, consent.sources)),
      reasons,
    };
  }
  const reasons = ["no rule permits this read (deny by default)", facts];
  for (const id of needsReason) reasons.push(`rule ${id} needs a stated reason and none was given`);
  return { ...base, effect: "deny", level: "none", rule: DEFAULT_DENY, obligations: [], reasons };
}
