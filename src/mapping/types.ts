/** The declarative mapping format (mappings/<source>/mapping.json): field rules, checks and resource templates. */

/** A JSON value as mapping files hold it. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** How a source field is checked and normalised before any template reads it. */
export interface FieldSpec {
  /** Dotted path from the record (or from `forEach` items, written `Table[].Field`). */
  path: string;
  type: "string" | "date" | "integer" | "code" | "yes-no" | "nhs-number";
  required?: boolean;
  /** Allowed codes for `code` fields. */
  codes?: string[];
  /**
   * A code outside `codes`: `reject` (the default) rejects the record; `keep` stores it as sent with a
   * warning, for lists the reference notes do not confirm (the profile binds them extensibly).
   */
  unlisted?: "reject" | "keep";
  /** Regular expression a `string` must match. */
  pattern?: string;
  min?: number;
  max?: number;
  /** Why the field matters, shown in issues. */
  label?: string;
}

/** A cross-field rule. */
export type CheckSpec =
  | { type: "date-order"; earlier: string; later: string; label?: string }
  | { type: "min-age"; birthDate: string; at: string; years: number }
  | { type: "exclusive"; paths: [string, string]; required?: boolean }
  | { type: "alone"; path: string; code: string };

/** A condition in `when` and `$if`. Paths are relative to the current scope; `^` makes one absolute. */
export type Condition =
  | { exists: string }
  | { equals: [string, Json] }
  | { in: [string, Json[]] }
  | { not: Condition }
  | { all: Condition[] }
  | { any: Condition[] };

/** One resource the mapping produces per record (or per item of `forEach`). */
export interface ResourceRule {
  /** Rule name, unique in the mapping; other rules refer to it. */
  id: string;
  resourceType: string;
  /** Project profile name (e.g. `TFG-Patient`), stamped into meta.profile. */
  profile?: string;
  /** Array path to produce one resource per item. */
  forEach?: string;
  when?: Condition;
  /** Parts of the deterministic id: literals and `$path` expressions. */
  key: Json[];
  /**
   * The source whose id space the id is computed in (default: this mapping's source). The SSD mapping
   * addresses a child's Patient in the CIN census's space, so both sources name the same Patient.
   */
  idSpace?: string;
  /**
   * The resource is written by more than one source (the LA child's Patient): what is stored is merged,
   * not replaced (src/ingest/shared-merge.ts): the elements this rule's template writes come from the
   * record, any other element another source wrote is kept, identifiers are merged by system and use.
   */
  shared?: boolean;
  template: Json;
}

/** A field a profile or a national return needs, reported when the source did not supply it. */
export interface NeedSpec {
  /** Dotted path; through a list (`A[].B`) it is checked for every item. */
  path: string;
  /** Another path (in the same item, for a list) whose value serves instead. */
  or?: string;
  for: string;
}

/** A whole mapping file. */
export interface MappingSpec {
  name: string;
  version: string;
  source: "cpa" | "ndtms" | "cin" | "ssd";
  description: string;
  /** Values that mean "not recorded" (in addition to absent and null). */
  nulls?: string[];
  /** Paths whose values identify a record in results (local keys only, never NHS numbers). */
  recordKey: string[];
  fields: FieldSpec[];
  checks?: CheckSpec[];
  resources: ResourceRule[];
  needs?: NeedSpec[];
}

/** A FHIR R4 ConceptMap as the engine reads it (one or more groups, one target per source code). */
export interface ConceptMapJson {
  resourceType: "ConceptMap";
  id: string;
  url: string;
  version?: string;
  group: {
    source?: string;
    target: string;
    element: { code: string; display?: string; target: { code: string; display?: string; equivalence?: string }[] }[];
  }[];
}
