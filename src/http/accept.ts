/** Content negotiation: the gateway speaks FHIR JSON only, so a request for XML (or nothing JSON) is a 406. */
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../fhir/errors.js";

const JSON_TYPES = new Set([
  "application/fhir+json",
  "application/json",
  "application/json+fhir",
  "application/*",
  "*/*",
]);
const JSON_FORMATS = new Set(["json", "application/json", "application/fhir+json", "application/json+fhir"]);

/** True when an `Accept` header admits a JSON response (absent or empty admits anything). */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept?.trim()) return true;
  return accept.split(",").some((range) => {
    const [type = "", ...params] = range.split(";").map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return JSON_TYPES.has(type) && (q === undefined || Number(q.slice(2)) > 0);
  });
}

const notAcceptable = (diagnostics: string, expression: string) =>
  new GatewayError(406, "not-acceptable", [
    { severity: "error", code: "not-supported", diagnostics, expression: [expression] },
  ]);

/**
 * The URL's `_format` parameter, or null. A query that holds neither `format` nor a percent escape (through which a
 * key could decode to `_format`) cannot carry one, so most requests are answered without parsing the URL.
 */
export function formatParam(url: string): string | null {
  const q = url.indexOf("?");
  if (q === -1 || !/format|%/.test(url.slice(q))) return null;
  return new URL(url).searchParams.get("_format");
}

/** 406 (an OperationOutcome in JSON) when `Accept` or `_format` asks for anything but FHIR JSON. */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const format = formatParam(c.req.url);
  if (format !== null && !JSON_FORMATS.has(format.trim().toLowerCase())) {
    throw notAcceptable("This server returns FHIR JSON only (_format=json)", "_format");
  }
  if (format === null && !acceptsJson(c.req.header("Accept"))) {
    throw notAcceptable("This server returns FHIR JSON only: accept application/fhir+json", "Accept");
  }
  await next();
};
