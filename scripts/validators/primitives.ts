/** The FHIR R4 primitive types as `fhirPrimitive` keyword specs, with the regular expressions from the spec's own definitions. */
import type { Definitions } from "./definitions.js";
import { indexOf, type JsonSchema } from "./element-index.js";
import type { PrimitiveSpec } from "./keywords.js";

const REGEX_EXT = "http://hl7.org/fhir/StructureDefinition/regex";
const INT32 = { minimum: -2147483648, maximum: 2147483647 };

/**
 * Reads the regex of each primitive's `value` element (e.g. StructureDefinition-date.json). JSON numbers and
 * booleans are typed, not matched; integers are 32-bit. Strings may not be empty in FHIR JSON (R4 §2.6.2), so
 * the uri/url/canonical regex `\S*` becomes `\S+`. xhtml is only checked to start with a `<div>`.
 */
export function primitiveSpecs(defs: Definitions, names: Iterable<string>): Map<string, PrimitiveSpec> {
  const out = new Map<string, PrimitiveSpec>();
  for (const type of [...names].sort()) {
    switch (type) {
      case "boolean":
        out.set(type, { type, json: "boolean" });
        continue;
      case "decimal":
        out.set(type, { type, json: "number" });
        continue;
      case "integer":
        out.set(type, { type, json: "integer", ...INT32 });
        continue;
      case "positiveInt":
        out.set(type, { type, json: "integer", ...INT32, minimum: 1 });
        continue;
      case "unsignedInt":
        out.set(type, { type, json: "integer", ...INT32, minimum: 0 });
        continue;
      case "xhtml":
        out.set(type, { type, json: "string", pattern: "^\\s*<div[\\s>]" });
        continue;
    }
    const value = indexOf(defs, type).get(`${type}.value`);
    const regex = value?.type?.[0]?.extension?.find((x) => x.url === REGEX_EXT)?.valueString;
    if (!regex) throw new Error(`No regex for primitive ${type}`);
    out.set(type, { type, json: "string", pattern: `^(?:${regex === "\\S*" ? "\\S+" : regex})$` });
  }
  return out;
}

/** The schema of one primitive value; `nullable` when it sits in an array next to a `_name` array. */
export function primitiveSchema(spec: PrimitiveSpec, nullable: boolean): JsonSchema {
  return { fhirPrimitive: nullable ? { ...spec, nullable } : spec };
}
