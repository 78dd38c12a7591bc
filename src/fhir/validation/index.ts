/**
 * Resource validation, runtime-neutral: validators generated at build time from profiles/ and the HL7 R4
 * definitions (scripts/build-validators.ts; DESIGN.md rule 2). What is and is not checked: docs/VALIDATION.md.
 *
 * - {@link validateResource}: base layer plus every claimed or requested profile; returns every issue.
 * - {@link validateBase}: the FHIR R4 base layer only.
 * - {@link findProfile}, {@link PROFILE_CATALOG}, {@link EXTENSION_CATALOG}: the profiles and extensions defined in profiles/.
 */
export type { CatalogEntry } from "./generated/catalog.generated.js";
/** Project profiles and extensions (generated from profiles/). */
export { EXTENSION_CATALOG, PROFILE_CATALOG } from "./generated/catalog.generated.js";
/** Validation entry points (http://hl7.org/fhir/R4/validation.html); see validate.ts for details. */
export { canValidate, findProfile, type ValidateOptions, validateBase, validateResource } from "./validate.js";
