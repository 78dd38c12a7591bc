/** The sharing protocol as the engine uses it: the parsed file in plain TypeScript names. */
import type { PolicyActor, SubjectKind } from "./facts.js";
import type { Level } from "./levels.js";
import type { AccessKind, ConsentState, ObligationKind, Relationship } from "./schema.js";

/** What a rule matches; an absent list matches anything, a list matches any of its values. */
export interface RuleWhen {
  /** What is asked for (absent: anything, a record included). */
  access?: readonly AccessKind[];
  orgTypes?: readonly PolicyActor["orgType"][];
  roles?: readonly PolicyActor["role"][];
  purposes?: readonly PolicyActor["purposeOfUse"][];
  subjects?: readonly Exclude<SubjectKind, "unknown">[];
  relationships?: readonly Relationship[];
  consent?: readonly ConsentState[];
  /** The rule applies only when the caller stated a reason. */
  reasonGiven?: true;
}

/** One rule of the protocol. */
export type Rule =
  | {
      id: string;
      description: string;
      when: RuleWhen;
      effect: "permit";
      level: Exclude<Level, "none">;
      legalBasis: string;
      obligations: readonly ObligationKind[];
      /** 1-based line of the rule in its file. */
      line?: number;
    }
  | { id: string; description: string; when: RuleWhen; effect: "deny"; line?: number };

/** A loaded sharing protocol. */
export interface Policy {
  /** The file it came from (as named to the loader). */
  file: string;
  name: string;
  version: 1;
  /** How long a break-glass permit lasts (ISO 8601 duration). */
  breakGlassExpiresAfter: string;
  /** The rules, in order: the first that matches decides. */
  rules: readonly Rule[];
}
