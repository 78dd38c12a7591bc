/**
 * Write-time validation for FHIR REST writes and transaction entries: a resource that breaks FHIR R4
 * or a profile it claims is refused with 422 and every issue, before anything is stored.
 */
import { type FhirIssue, GatewayError } from "./errors.js";
import { validateResource } from "./validation/index.js";

/**
 * Throws 422 (`unprocessable`) with every validation error when `resource` does not conform.
 * `where` (e.g. `Bundle.entry[2].resource`) replaces the leading resource type of each expression,
 * so a transaction's issues point into the Bundle.
 */
export function assertConforms(resource: Record<string, unknown>, where?: string): void {
  const errors = validateResource(resource).filter((i) => i.severity === "error" || i.severity === "fatal");
  if (errors.length === 0) return;
  const type = String(resource.resourceType);
  const relocate = (e: string) =>
    where && (e === type || e.startsWith(`${type}.`)) ? `${where}${e.slice(type.length)}` : e;
  const issues: FhirIssue[] = errors.map((i) => (i.expression ? { ...i, expression: i.expression.map(relocate) } : i));
  throw new GatewayError(422, "unprocessable", issues);
}
