/**
 * The universal R4 rules checked in plain JavaScript over the whole resource: ele-1 (an element has a value
 * or children besides `id`), ext-1 (an extension has a value or nested extensions, not both) and well-formed
 * strings (no unpaired UTF-16 surrogate, which no Unicode text can contain).
 */
import type { FhirIssue } from "../errors.js";
import { elementName } from "./paths.js";

type Json = Record<string, unknown>;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CHOICE_VALUE = /^_?value[A-Z]/;

const issue = (code: FhirIssue["code"], diagnostics: string, path: string): FhirIssue => ({
  severity: "error",
  code,
  diagnostics,
  expression: [path],
});

function walk(value: unknown, path: string, inExtension: boolean, out: FhirIssue[]): void {
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value))
      out.push(
        issue("value", "Text contains an unpaired UTF-16 surrogate, which is not valid Unicode (FHIR R4)", path),
      );
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      walk(v, `${path}[${i}]`, inExtension, out);
    });
    return;
  }
  if (typeof value !== "object" || value === null) return;
  const node = value as Json;
  const keys = Object.keys(node);
  if (typeof node.resourceType !== "string" && keys.length > 0 && keys.every((k) => k === "id")) {
    out.push(
      issue("invariant", "Invariant ele-1 failed: All FHIR elements must have a @value or children (FHIR R4)", path),
    );
  }
  if (inExtension) {
    const hasValue = keys.some((k) => CHOICE_VALUE.test(k));
    const hasExtensions = Array.isArray(node.extension) && node.extension.length > 0;
    if (hasValue === hasExtensions) {
      out.push(
        issue("invariant", "Invariant ext-1 failed: Must have either extensions or value[x], not both (FHIR R4)", path),
      );
    }
  }
  for (const k of keys) {
    walk(node[k], `${path}.${elementName(k)}`, k === "extension" || k === "modifierExtension", out);
  }
}

/** Issues for ele-1, ext-1 and unpaired surrogates anywhere in `resource` (expressions from `root`). */
export function checkNative(resource: unknown, root: string): FhirIssue[] {
  const out: FhirIssue[] = [];
  walk(resource, root, false, out);
  return out;
}
