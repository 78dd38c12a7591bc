/**
 * Words the errors of the generated validators as FHIR issues: a stable issue code, a FHIRPath-style expression
 * and a plain-English diagnostic built only from the definitions (element names, value set URLs, limits),
 * never from the data, so no identifiable value can reach a message.
 */
import type { FhirIssue, IssueCode } from "../errors.js";
import type { GeneratedError } from "./generated/validators.generated.js";
import type { BindingParams, ChoiceParams, PatternParams, ReferenceParams, SliceParams } from "./keyword-params.js";
import { fhirPath } from "./paths.js";

/** Which layer reported an error: the HL7 R4 base, or a project profile (by id, e.g. `TFG-Patient`). */
export type Layer = { kind: "base" } | { kind: "profile"; id: string };

/** What a valid value of each FHIR primitive looks like (for the "not a valid FHIR date" messages). */
const PRIMITIVE_HINTS: Record<string, string> = {
  base64Binary: "base64 text",
  boolean: "true or false",
  canonical: "a URL with no spaces",
  code: "text with no leading, trailing or double spaces",
  date: "YYYY, YYYY-MM or YYYY-MM-DD",
  dateTime: "YYYY, YYYY-MM, YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss with a time zone",
  decimal: "a JSON number",
  id: "1 to 64 of A-Z a-z 0-9 - .",
  instant: "YYYY-MM-DDThh:mm:ss with a time zone",
  integer: "a whole JSON number within 32 bits",
  markdown: "non-empty text",
  oid: "urn:oid: followed by an OID",
  positiveInt: "a whole JSON number of 1 or more",
  string: "non-empty text",
  time: "hh:mm:ss",
  unsignedInt: "a whole JSON number of 0 or more",
  uri: "a URI with no spaces",
  url: "a URL with no spaces",
  uuid: "urn:uuid: followed by a lower-case UUID",
  xhtml: "an XHTML <div>",
};

const FORMAT_MESSAGES: Record<string, string> = {
  "nhs-number": "Invariant tfg-nhs-1 failed: NHS number must be ten digits with a valid modulus-11 check digit",
  uprn: "Invariant tfg-uprn-1 failed: UPRN must be 1 to 12 digits",
};

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);
const s = (n: number) => (n === 1 ? "" : "s");

interface Worded {
  code: IssueCode;
  text: string;
  /** Child element appended to the error's own path. */
  child?: string;
}

function word(e: GeneratedError, layer: Layer): Worded {
  const p = e.params;
  switch (e.keyword) {
    case "required":
      return {
        code: "required",
        text: `Required element '${String(p.missingProperty)}' is missing`,
        child: String(p.missingProperty),
      };
    case "fhirChoice": {
      const c = p as unknown as ChoiceParams;
      if (c.disallowed > 0) {
        return {
          code: "structure",
          text: `'${c.name}' has a type this profile does not allow (allowed: ${c.allowed || "none"})`,
          child: c.name,
        };
      }
      if (c.count > 1) return { code: "structure", text: `Only one type of '${c.name}' may be present`, child: c.name };
      return { code: "required", text: `Required element '${c.name}' is missing`, child: c.name };
    }
    case "additionalProperties":
      return {
        code: "structure",
        text: "Unknown element: it is not part of this type in FHIR R4",
        child: String(p.additionalProperty),
      };
    case "type":
      return {
        code: "structure",
        text:
          p.type === "array"
            ? "Wrong JSON type: expected an array (this element repeats)"
            : `Wrong JSON type: expected ${article(String(p.type))}`,
      };
    case "minItems":
      return layer.kind === "base" && p.limit === 1
        ? { code: "structure", text: "Empty arrays are not allowed in FHIR JSON" }
        : { code: "structure", text: `At least ${String(p.limit)} item${s(Number(p.limit))} required` };
    case "maxItems":
      return { code: "structure", text: `At most ${String(p.limit)} item${s(Number(p.limit))} allowed` };
    case "minProperties":
      return { code: "structure", text: "Empty objects are not allowed in FHIR JSON" };
    case "false schema":
      return { code: "structure", text: "Element is not allowed here (maximum cardinality 0)" };
    case "const":
      return { code: "value", text: `Must be the fixed value '${String(p.allowedValue)}'` };
    case "fhirPrimitive": {
      const type = String(p.type);
      return { code: "value", text: `Not a valid FHIR ${type} (expected ${PRIMITIVE_HINTS[type] ?? type})` };
    }
    case "fhirBinding": {
      const b = p as unknown as BindingParams;
      const what = b.kind === "code" ? "Code is not" : b.kind === "Coding" ? "Coding is not" : "No coding is";
      return { code: "code-invalid", text: `${what} in the required value set ${b.valueSet}` };
    }
    case "fhirPattern":
      return { code: "value", text: `Must match the pattern ${(p as unknown as PatternParams).label}` };
    case "fhirSlice": {
      const sl = p as unknown as SliceParams;
      const text =
        sl.count < sl.min
          ? `Slice ${sl.label} needs at least ${sl.min} item${s(sl.min)}, found ${sl.count}`
          : `Slice ${sl.label} allows at most ${sl.max} item${s(sl.max)}, found ${sl.count}`;
      return { code: "structure", text, child: sl.element };
    }
    case "fhirReference":
      return {
        code: "value",
        text: `Reference must point to ${(p as unknown as ReferenceParams).targets}`,
        child: "reference",
      };
    case "format": {
      const f = String(p.format);
      return { code: "value", text: FORMAT_MESSAGES[f] ?? `Does not match the format ${f}` };
    }
    case "minimum":
      return { code: "value", text: `Number must be at least ${String(p.limit)}` };
    case "maximum":
      return { code: "value", text: `Number must be at most ${String(p.limit)}` };
    default:
      return { code: "invalid", text: `Does not conform (${e.keyword})` };
  }
}

/** Issues for the errors of one validator run on a resource of type `root`; `if` bookkeeping errors are dropped. */
export function toIssues(errors: readonly GeneratedError[], layer: Layer, root: string): FhirIssue[] {
  const by = layer.kind === "base" ? "FHIR R4" : `profile ${layer.id}`;
  const out: FhirIssue[] = [];
  for (const e of errors) {
    if (e.keyword === "if") continue;
    const w = word(e, layer);
    out.push({
      severity: "error",
      code: w.code,
      diagnostics: `${w.text} (${by})`,
      expression: [fhirPath(root, e.instancePath, w.child)],
    });
  }
  return out;
}

/** Drops repeated issues (same code, expression and diagnostics), keeping the first of each. */
export function dedupe(issues: FhirIssue[]): FhirIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.severity}|${i.code}|${i.expression?.join(",") ?? ""}|${i.diagnostics}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
