/**
 * The relationship port (issue 10 scope 4): what the engine needs to know about the caller's
 * organisation and the person a record is about. The integrator implements it against the store
 * (relationships-view.ts is one implementation over a read-only resource view).
 */
import type { PolicyActor, RelationshipFacts, SubjectKind } from "./facts.js";

/** What a resolver finds for one person. */
export interface ResolvedRelationships {
  /** Adult or child at the instant asked (`unknown` when the birth date cannot tell). */
  kind: SubjectKind;
  facts: RelationshipFacts;
}

/** Finds the relationships between a caller's organisation and one person. */
export interface RelationshipResolver {
  /**
   * The facts for `subject` (a `Patient/id`; records the person index links with it count as the
   * same person) and the caller's organisation, at instant `at` (ISO 8601). Reads only.
   */
  resolve(actor: PolicyActor, subject: string, at: string): Promise<ResolvedRelationships>;
}
