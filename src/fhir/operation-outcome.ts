/** Builds OperationOutcome resources (http://hl7.org/fhir/R4/operationoutcome.html). */
import type { OperationOutcome } from "fhir/r4";
import type { FhirIssue } from "./errors.js";

/** An OperationOutcome with the given issues. */
export function operationOutcome(issues: FhirIssue[]): OperationOutcome {
  return {
    resourceType: "OperationOutcome",
    issue: issues.map((i) => ({
      severity: i.severity,
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression ? { expression: i.expression } : {}),
    })),
  };
}

/** A one-issue informational OperationOutcome (e.g. the body of a successful delete). */
export function informational(diagnostics: string): OperationOutcome {
  return operationOutcome([{ severity: "information", code: "informational", diagnostics }]);
}
