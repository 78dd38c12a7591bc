/** The codes, systems and URLs the flags rules read and write (docs/PROFILES.md, docs/FLAGS.md). */
import { codeSystemUrl, profileUrl, TFG_BASE } from "../fhir/canonical.js";

/** The flag codes (CodeSystem `flag-code`), in the order docs/FLAGS.md lists them. */
export const FLAG_CODES = [
  "household-has-children",
  "children-status-not-recorded",
  "parent-children-elsewhere",
  "pregnant",
  "young-carer",
  "child-protection-plan",
  "child-in-need",
  "looked-after",
  "parent-in-adult-services",
] as const;

/** A flag code. */
export type FlagCode = (typeof FLAG_CODES)[number];

/** Displays, as CodeSystem `flag-code` gives them. */
export const FLAG_DISPLAY: Record<FlagCode, string> = {
  "household-has-children": "Household has children",
  "children-status-not-recorded": "Children's status not recorded",
  "parent-children-elsewhere": "Parent, children live elsewhere",
  pregnant: "Pregnant",
  "young-carer": "Young carer",
  "child-protection-plan": "Child protection plan",
  "child-in-need": "Child in need",
  "looked-after": "Looked after",
  "parent-in-adult-services": "Parent in adult services",
};

/** The deriver's name, `meta.source` suffix and id space. */
export const DERIVER_NAME = "flags";
/** `meta.source` of every resource the deriver writes. */
export const DERIVED_SOURCE = `urn:tfg:derived:${DERIVER_NAME}`;
/** Version of these rules, named in every Provenance entity. */
export const RULES_VERSION = "flags-rules@1.0.0";

export const SYSTEMS = {
  flagCode: codeSystemUrl("flag-code"),
  observationCode: codeSystemUrl("observation-code"),
  parentalStatus: codeSystemUrl("parental-status"),
  pregnancyStatus: codeSystemUrl("pregnancy-status"),
  episodeType: codeSystemUrl("episode-type"),
  cinFactor: codeSystemUrl("cin-assessment-factor"),
  relationship: codeSystemUrl("relationship"),
  /** Identifier system naming a contributing resource by its `Type/id` in a derived Provenance. */
  derivedInput: `${TFG_BASE}/Id/derived-input`,
} as const;

export const URLS = {
  flagProfile: profileUrl("TFG-SafeguardingFlag"),
  provenanceProfile: profileUrl("TFG-Provenance"),
  expectedBirthDate: `${TFG_BASE}/StructureDefinition/expected-birth-date`,
  relatedPatient: `${TFG_BASE}/StructureDefinition/related-patient`,
  dataAbsentReason: "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
} as const;
