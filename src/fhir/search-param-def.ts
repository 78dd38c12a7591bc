/** The shape of one indexed search parameter (rows of search-params.generated.ts). */

/** Search parameter types the index supports (http://hl7.org/fhir/R4/search.html#ptypes). */
export type SearchParamType = "string" | "token" | "date" | "reference" | "uri";

/** A search parameter the gateway indexes. Each path is a dotted element path from the resource root. */
export interface SearchParamDef {
  /** The parameter's code, e.g. `family`. */
  name: string;
  type: SearchParamType;
  /** One or more element paths (alternatives), choice types expanded, e.g. `["effectiveDateTime", "effectivePeriod"]`. */
  paths: string[];
  /** For references: the resource types it may point to; absent means any. */
  targets?: string[];
  /** For ContactPoint tokens (`email`, `phone`): only contact points with this `system`. */
  system?: string;
  /** For tokens over a `code` element bound to one code system (Patient.gender): that system, indexed with each code. */
  codeSystem?: string;
  /**
   * For a reference parameter that only narrows another one's targets (Observation `patient` is
   * `subject` pointing at a Patient): the parameter whose index rows answer it; it has none of its own.
   */
  indexedAs?: string;
  /** The HL7 SearchParameter canonical URL. */
  url: string;
  documentation: string;
}
