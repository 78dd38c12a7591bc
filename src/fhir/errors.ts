/**
 * The one error type of the gateway: a stable code, an HTTP status and FHIR issues.
 * The single `onError` handler turns it into an OperationOutcome (DESIGN.md rule 4).
 * Messages must never contain an identifiable value.
 */

/** FHIR IssueType codes the gateway uses (http://hl7.org/fhir/R4/valueset-issue-type.html). */
export type IssueCode =
  | "invalid"
  | "structure"
  | "required"
  | "value"
  | "invariant"
  | "security"
  | "login"
  | "forbidden"
  | "processing"
  | "not-supported"
  | "duplicate"
  | "not-found"
  | "deleted"
  | "too-long"
  | "conflict"
  | "exception"
  | "incomplete"
  | "too-costly"
  | "transient"
  | "code-invalid"
  | "informational";

/** One issue, as it appears in OperationOutcome.issue. */
export interface FhirIssue {
  severity: "fatal" | "error" | "warning" | "information";
  code: IssueCode;
  diagnostics: string;
  /** FHIRPath-style locations, e.g. `Bundle.entry[2].request.url` or `row 4, column PRNTSTAT`. */
  expression?: string[];
}

/** An error that becomes an OperationOutcome with `status`. `code` is stable for clients and tests. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly issues: FhirIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(issues[0]?.diagnostics ?? code);
    this.name = "GatewayError";
  }
}

const one = (
  status: number,
  code: string,
  issueCode: IssueCode,
  diagnostics: string,
  expression?: string[],
  headers?: Record<string, string>,
) =>
  new GatewayError(
    status,
    code,
    [{ severity: "error", code: issueCode, diagnostics, ...(expression ? { expression } : {}) }],
    headers,
  );

/** 400: the request is malformed. */
export const badRequest = (diagnostics: string, expression?: string[]) =>
  one(400, "bad-request", "invalid", diagnostics, expression);

/** 404: no such resource (or type, or route). */
export const notFound = (diagnostics: string) => one(404, "not-found", "not-found", diagnostics);

/** 410: the resource was deleted. */
export const gone = (diagnostics: string) => one(410, "gone", "deleted", diagnostics);

/** 412: If-Match named a version that is not the current one. */
export const preconditionFailed = (diagnostics: string) => one(412, "version-conflict", "conflict", diagnostics);

/** 409: a concurrent write won. */
export const conflict = (diagnostics: string) => one(409, "conflict", "conflict", diagnostics);

/** 401: no or bad credentials; carries a WWW-Authenticate challenge. */
export const unauthorized = (diagnostics: string, reason = "invalid_token") =>
  one(401, "unauthorized", "login", diagnostics, undefined, {
    "WWW-Authenticate": `Bearer realm="think-family-gateway", error="${reason}", error_description="${diagnostics.replace(/"/g, "'")}"`,
  });

/** 403: authenticated but not allowed; `expression` says where (e.g. the element or source field). */
export const forbidden = (diagnostics: string, expression?: string[]) =>
  one(403, "forbidden", "forbidden", diagnostics, expression);

/** 415: a body in a media type the gateway does not read. */
export const unsupportedMediaType = (diagnostics: string) =>
  one(415, "unsupported-media-type", "not-supported", diagnostics);

/** 413: the body is larger than the configured limit. */
export const payloadTooLarge = (limit: number) =>
  one(413, "payload-too-large", "too-long", `Request body exceeds the limit of ${limit} bytes`);

/** 405: the route exists but not with this method. */
export const methodNotAllowed = (diagnostics: string) => one(405, "method-not-allowed", "not-supported", diagnostics);
