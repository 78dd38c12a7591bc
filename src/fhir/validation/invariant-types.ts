/** The shape of the generated invariant table (scripts/validators/invariants.ts writes it, invariants.ts reads it). */

/** One FHIRPath invariant. */
export interface InvariantSpec {
  key: string;
  severity: "error" | "warning";
  /** The rule in words, from the definition (never data). */
  human: string;
  expression: string;
  /** Top-level element names the expression reads; when none is present the result is the same for every node. */
  heads: string[] | null;
  /**
   * A best-practice rule (R4 `elementdefinition-bestpractice`, e.g. dom-6 "should have narrative"): reported
   * by `$validate` only, never on writes or ingest.
   */
  bestPractice?: true;
  /** The same rule as a data program, when it is simple enough to interpret without fhirpath.js. */
  program?: Program;
}

/** A type, backbone element or element with invariants of its own, as the walk sees it. */
export interface NodeSpec {
  /** Invariants on the node itself (indexes into INVARIANTS). */
  inv?: number[];
  /** Invariants on primitive children: [JSON property, invariant index, element name]. */
  prim?: [string, number, string][];
  /** JSON property → node key of the child (`*`: a resource, by its resourceType). */
  kids?: Record<string, string>;
}

/**
 * A simple invariant as data (scripts/validators/invariant-programs.ts): paths are member names from the node.
 * `exists`/`empty`/`count` read a path; `eq`/`ne` compare its single value with a literal.
 */
export type Program =
  | ["exists" | "empty", string[]]
  | ["eq" | "ne", string[], string | boolean | number]
  | ["count", string[], ">" | ">=" | "<" | "<=", number]
  | ["not", Program]
  | ["and" | "or" | "implies", Program, Program]
  | ["lit", boolean];
