/** Turns the JSON Pointers in validator errors into FHIRPath-style expressions, e.g. `Patient.identifier[0].value`. */

/** FHIR element names start with a lower-case letter (R4 §2.6.2); `[x]` marks a choice element. */
const ELEMENT_NAME = /^[a-z][A-Za-z0-9]{0,63}(\[x\])?$/;

/**
 * An element name for an expression: `_name` (primitive extensions) becomes `name`; a key that cannot be a
 * FHIR element name becomes `*`, because an unknown key is input and could carry data.
 */
export function elementName(key: string): string {
  const name = key.startsWith("_") ? key.slice(1) : key;
  return ELEMENT_NAME.test(name) ? name : "*";
}

/**
 * The FHIRPath-style location of `pointer` (an ajv instancePath) inside a resource of type `root`, optionally
 * followed by a child element name. Keys that are not element names are shown as `*`, so an expression never
 * carries arbitrary input text.
 */
export function fhirPath(root: string, pointer: string, child?: string): string {
  let out = root;
  if (pointer) {
    for (const raw of pointer.split("/").slice(1)) {
      const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      out += /^\d+$/.test(segment) ? `[${segment}]` : `.${elementName(segment)}`;
    }
  }
  return child === undefined ? out : `${out}.${elementName(child)}`;
}
