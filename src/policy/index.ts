/** The policy engine's public surface (docs/POLICY.md): what the service layer, audit and lookups use. */

export type { AuditDecision, AuditEntry, AuditInteraction, AuditSink } from "./audit.js";
export { MemoryAuditSink } from "./audit.js";
export { auditSinkFor, type DecisionAuditor } from "./audit-adapter.js";
export { baselinePolicy } from "./baseline.js";
export { consentFactsFrom, consentState, ndtmsReturnScope } from "./consent.js";
export { DEFAULT_DENY, decide, relationshipsOf } from "./decide.js";
export type { Decision, Obligation } from "./decision.js";
export { Enforcement, type Reader, ReadSession } from "./enforce.js";
export type {
  ConsentFacts,
  ConsentProvision,
  DecisionRequest,
  PolicyActor,
  PolicySubject,
  RelationshipFacts,
  SubjectKind,
} from "./facts.js";
export { NO_CONSENTS, NO_RELATIONSHIP } from "./facts.js";
export { covers, LEVELS, type Level } from "./levels.js";
export { loadPolicy, PolicyLoadError } from "./load.js";
export type { Policy, Rule } from "./policy.js";
export { redact } from "./redact.js";
export type { RelationshipResolver, ResolvedRelationships } from "./relationships.js";
export { ViewRelationshipResolver } from "./relationships-view.js";
export { subjectKindOf } from "./subject-age.js";
export { subjectsOf } from "./subjects.js";
