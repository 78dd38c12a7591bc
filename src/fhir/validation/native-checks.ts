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

/** Any surrogate code unit at all: cheap, and rare in real text; only then is the exact test run. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** C0 control characters other than tab, LF and CR, which R4 strings may not contain (datatypes.html#string). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching exactly these characters is the point.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/**
 * The FHIRPath-style location of the walk's current path: the root, then JSON keys (as element names) and array
 * indexes. Built only when an issue is reported, so the walk itself pushes raw keys.
 */
const located = (path: (string | number)[]): string =>
  path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${elementName(p)}`))
    .join("")
    .replace(/^\./, "");

function walk(value: unknown, path: (string | number)[], inExtension: boolean, out: FhirIssue[]): void {
  if (typeof value === "string") {
    if (SURROGATE.test(value) && LONE_SURROGATE.test(value))
      out.push(
        issue(
          "value",
          "Text contains an unpaired UTF-16 surrogate, which is not valid Unicode (FHIR R4)",
          located(path),
        ),
      );
    if (CONTROL.test(value))
      out.push(
        issue(
          "value",
          "Text contains a control character (below U+0020, other than tab, carriage return and line feed), which FHIR R4 strings may not contain",
          located(path),
        ),
      );
    return;
  }
  if (typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walk(value[i], path, inExtension, out);
      path.pop();
    }
    return;
  }
  const node = value as Json;
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === "id" && typeof node.resourceType !== "string") {
    out.push(
      issue(
        "invariant",
        "Invariant ele-1 failed: All FHIR elements must have a @value or children (FHIR R4)",
        located(path),
      ),
    );
  }
  if (inExtension) {
    const hasValue = keys.some((k) => CHOICE_VALUE.test(k));
    const hasExtensions = Array.isArray(node.extension) && node.extension.length > 0;
    if (hasValue === hasExtensions) {
      out.push(
        issue(
          "invariant",
          "Invariant ext-1 failed: Must have either extensions or value[x], not both (FHIR R4)",
          located(path),
        ),
      );
    }
  }
  for (const k of keys) {
    path.push(k);
    walk(node[k], path, k === "extension" || k === "modifierExtension", out);
    path.pop();
  }
}

/** Issues for ele-1, ext-1 and unpaired surrogates anywhere in `resource` (expressions from `root`). */
export function checkNative(resource: unknown, root: string): FhirIssue[] {
  const out: FhirIssue[] = [];
  walk(resource, [root], false, out);
  return out;
}
