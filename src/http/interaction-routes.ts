/**
 * The FHIR interactions beyond read/write/search: JSON Patch, type and system history, and one consistent answer for
 * what is not served (404 for an unserved type, `not-supported` for an unknown operation).
 */
import type { Context, MiddlewareHandler } from "hono";
import { badRequest, GatewayError, methodNotAllowed, unsupportedMediaType } from "../fhir/errors.js";
import { historyAcrossBundle, parseHistory } from "../fhir/history.js";
import { parseClientJson } from "../fhir/json-text.js";
import { assertSupportedType } from "../fhir/resource-body.js";
import { parseIfMatch, type ResourceService } from "../fhir/resource-service.js";
import { isSupportedType } from "../fhir/resource-types.js";
import type { AppEnv } from "./context.js";
import { fhirJson } from "./fhir-response.js";
import { requestParams } from "./request-params.js";

/** Route pattern of an operation segment (`$name`; `$` may arrive percent-encoded). */
export const OPERATION = "{(?:\\$|%24)[A-Za-z][A-Za-z0-9_-]*}";

/** The JSON Patch media type (RFC 6902). */
const JSON_PATCH = "application/json-patch+json";

/** First path segments under the base that are not resource types. */
const NOT_A_TYPE = new Set(["_history", "metadata", "_search"]);

/** 400 `not-supported` for an operation the gateway does not implement (HAPI FHIR answers the same way). */
export const operationNotSupported = (name: string) =>
  new GatewayError(400, "operation-not-supported", [
    {
      severity: "error",
      code: "not-supported",
      diagnostics: `The operation '${name.slice(0, 64)}' is not supported here; GET /fhir/metadata lists the operations`,
    },
  ]);

/**
 * Middleware for `/:type` and `/:type/*`: a resource type the gateway does not serve (a valid R4 type it does not
 * store, or no type at all) is a 404 for every interaction, before anything else is looked at. `$validate` is left
 * to its handler, which validates every R4 type.
 */
export const servedTypeGuard: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.param("type") ?? "";
  // A served type (every request that reaches a handler) passes at once; the rest are looked at further.
  if (!isSupportedType(type)) {
    const systemLevel = NOT_A_TYPE.has(type) || /^(\$|%24)/.test(type);
    if (!systemLevel && !/\/(\$|%24)validate\/?$/.test(c.req.path)) assertSupportedType(type);
  }
  await next();
};

/** A handler that answers `not-supported` for the operation in the route's `op` parameter (405 for `$validate` not POSTed). */
export const unsupportedOperation = (c: Context<AppEnv>): never => {
  const op = decodeURIComponent(c.req.param("op") ?? "");
  if (op === "$validate" && c.req.param("id") === undefined) throw methodNotAllowed("$validate is invoked with POST");
  throw operationNotSupported(op);
};

/** The header a caller states a reason in (a break-glass reason, a section 47 justification); never logged. */
export const REASON_HEADER = "X-Access-Reason";

/** Longest stated reason read; longer is a 400. */
export const MAX_REASON_LENGTH = 1000;

/**
 * The service reading for this request's actor, with the reason it stated in {@link REASON_HEADER}: every /fhir
 * read goes through it, so the sharing protocol decides what is returned (src/policy/enforce.ts).
 */
export function readerOf(service: ResourceService, c: Context<AppEnv>): ResourceService {
  const reason = c.req.header(REASON_HEADER);
  if (reason !== undefined && reason.length > MAX_REASON_LENGTH) {
    throw badRequest(`${REASON_HEADER} must be at most ${MAX_REASON_LENGTH} characters`, [REASON_HEADER]);
  }
  return service.as(c.get("actor"), reason);
}

/** `GET [base]/_history` and `GET [base]/{type}/_history`. */
export function historyHandler(service: ResourceService, baseOf: (c: Context<AppEnv>) => string) {
  return async (c: Context<AppEnv>) => {
    const type = c.req.param("type");
    const params = requestParams(c.req.url);
    const strict = /handling=strict/.test(c.req.header("Prefer") ?? "");
    const parsed = parseHistory(type, params, service.deps.paging, service.deps.clock().toISOString(), strict);
    const found = await readerOf(service, c).historyAcross(parsed.query);
    const page = parsed.knownTotal === undefined ? found : { ...found, total: parsed.knownTotal };
    const cursor = params.find(([k]) => k === "_cursor")?.[1];
    return fhirJson(historyAcrossBundle(baseOf(c), type, parsed, page, cursor));
  };
}

/**
 * `PATCH [base]/{type}/{id}` with a JSON Patch body. FHIRPath Patch (a Parameters body as `application/fhir+json`)
 * is not supported: 415, naming the media type that is.
 */
export function patchHandler(service: ResourceService) {
  return async (c: Context<AppEnv>) => {
    const media = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (media !== JSON_PATCH) {
      throw unsupportedMediaType(
        `PATCH takes a JSON Patch body (${JSON_PATCH}); FHIRPath Patch (Parameters) is not supported`,
      );
    }
    const body = parseClientJson(await c.req.text());
    const type = c.req.param("type") as string;
    const id = c.req.param("id") as string;
    return service.as(c.get("actor")).patch(type, id, body, parseIfMatch(c.req.header("If-Match")));
  };
}
