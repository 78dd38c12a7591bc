/**
 * What the decision engine is told about one request (DOMAIN.md §4): who asks and why, whom the
 * record is about, the relationships between them and the person's consents. Plain data, built by
 * the resolvers (relationships.ts, consent.ts) so the engine itself reads nothing.
 */
import type { Actor } from "../auth/actor.js";
import type { AccessKind } from "./schema.js";

/** The caller as the engine needs it (from the verified token). */
export type PolicyActor = Pick<Actor, "org" | "orgType" | "role" | "purposeOfUse">;

/** Whether the person a record is about is an adult or a child; `unknown` matches no rule that names one. */
export type SubjectKind = "adult" | "child" | "unknown";

/** The record asked for. */
export interface PolicySubject {
  kind: SubjectKind;
  /** Organisations that own the record (its `record-owner` tags): the recording organisation(s). */
  owners: readonly string[];
  /** The record's resource type, for the reasons and the audit. */
  resourceType?: string;
  /**
   * For a person-index possible-match Task: the organisations that made the two records it names (their
   * `record-owner` tags). The engine derives `match-review` from it.
   */
  reviewedOwners?: readonly string[];
}

/**
 * Relationships between the caller's organisation and the person (DOMAIN.md §4, issue 10 scope 4).
 * `recording-organisation` and `match-review` are not here: the engine derives them from {@link PolicySubject.owners}
 * and {@link PolicySubject.reviewedOwners}.
 */
export interface RelationshipFacts {
  /** The caller's organisation has an open episode (CPA, treatment, CIN, CP, looked-after) with the person. */
  caseload: boolean;
  /** The person lives in a household with a child who has an open episode with the caller's LA. */
  householdOfOpenChild: boolean;
  /** The person is a child living in the household of a patient on the caller's caseload. */
  childOfCaseloadPatient: boolean;
  /** `Type/id` of the records the facts rest on (episodes, Groups), for the audit. */
  evidence?: readonly string[];
}

/** No relationship at all. */
export const NO_RELATIONSHIP: RelationshipFacts = {
  caseload: false,
  householdOfOpenChild: false,
  childOfCaseloadPatient: false,
};

/** One permit or deny provision read from a Consent (nested provisions are its exceptions). */
export interface ConsentProvision {
  type: "permit" | "deny";
  /** Organisation types it applies to; empty: every type. */
  orgTypes: readonly string[];
  /** Organisation codes it applies to; empty: every organisation. */
  orgs: readonly string[];
  /** Purposes of use it applies to; empty: every purpose. */
  purposes: readonly string[];
  /** When it applies (ISO 8601 dates or instants); an open end is no end. */
  period?: { start?: string; end?: string };
  /** Exceptions (R4 `provision.provision`): where one applies, it decides instead. */
  exceptions: readonly ConsentProvision[];
  /** `Consent/id` it came from. */
  source: string;
}

/** The person's consents as the engine reads them. */
export interface ConsentFacts {
  /** Active patient-privacy provisions, one per Consent resource. */
  provisions: readonly ConsentProvision[];
  /**
   * NDTMS `CONSENT` (the Patient's `ndtms-consent` extension): `false` keeps the client out of the
   * national return except agency, client id and consent; it does not change local sharing decisions.
   */
  ndtmsNationalReturn?: boolean;
}

/** No consent recorded either way. */
export const NO_CONSENTS: ConsentFacts = { provisions: [] };

/** Everything one decision is made from. */
export interface DecisionRequest {
  actor: PolicyActor;
  /** What is asked for; absent: one `record`. */
  access?: AccessKind;
  subject: PolicySubject;
  relationships: RelationshipFacts;
  consents: ConsentFacts;
  /** The reason the caller stated (break-glass reason, section 47 justification); blank counts as none. */
  reason?: string;
  /** The instant the request is decided at (ISO 8601): consent periods and break-glass expiry are read against it. */
  at: string;
}
