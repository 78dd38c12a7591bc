/**
 * The error parameters of the FHIR-specific keywords in the generated validators: the contract between
 * the build (scripts/validators/keywords.ts writes them) and the runtime (issues.ts reads them).
 */

/** `fhirChoice`: how many alternatives of one element are present (choice types, required primitives). */
export interface ChoiceParams {
  /** Element name as in the definition, e.g. `value[x]` or `status`. */
  name: string;
  min: number;
  /** How many alternatives were present. */
  count: number;
  /** How many properties of a type the profile does not allow were present. */
  disallowed: number;
  /** The type names the profile allows, e.g. `CodeableConcept` (profile layer only). */
  allowed: string;
}

/** `fhirBinding`: a required binding to an enumerable value set. */
export interface BindingParams {
  valueSet: string;
  /** `code`, `Coding` or `CodeableConcept`. */
  kind: string;
}

/** `fhirPattern`: a fixed pattern (partial match) from a profile; `label` renders the pattern, e.g. `episode-type#cpa`. */
export interface PatternParams {
  label: string;
}

/** `fhirSlice`: how many items of a repeating element fall in a slice. */
export interface SliceParams {
  /** The repeating element, e.g. `identifier` or `extension`. */
  element: string;
  /** The slice name and what it is, e.g. `nhsNumber (NHS number)`. */
  label: string;
  min: number;
  /** Upper bound, or -1 for unbounded. */
  max: number;
  count: number;
}

/** `fhirReference`: the resource types a reference may point to. */
export interface ReferenceParams {
  /** Allowed target types joined with ` or `. */
  targets: string;
}
