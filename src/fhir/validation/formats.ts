/**
 * Format checks used by the generated validators (ajv `format` keyword). The build compiles with these
 * and the generated code imports this module, so build time and run time share one implementation.
 */
import { isValidNhsNumber } from "../nhs-number.js";

/** An ajv format definition that only applies to strings. */
export interface StringFormat {
  type: "string";
  validate: (value: string) => boolean;
}

/**
 * Formats by name. `nhs-number`: ten digits, no spaces, valid modulus-11 check digit (NHS Data Dictionary,
 * NHS NUMBER; profile invariant tfg-nhs-1). `uprn`: 1 to 12 digits (invariant tfg-uprn-1).
 */
export const formats: Readonly<Record<string, StringFormat>> = {
  "nhs-number": { type: "string", validate: (value) => /^\d{10}$/.test(value) && isValidNhsNumber(value) },
  uprn: { type: "string", validate: (value) => /^\d{1,12}$/.test(value) },
};
