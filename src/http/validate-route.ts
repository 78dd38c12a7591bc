/** POST /fhir/{type}/$validate: validates a resource against R4 and the project profiles without storing it. */
import type { Context } from "hono";
import { badRequest, notFound } from "../fhir/errors.js";
import { operationOutcome } from "../fhir/operation-outcome.js";
import { canValidate, validateResource } from "../fhir/validation/index.js";
import type { AppEnv } from "./context.js";
import { fhirJson, readFhirJson } from "./fhir-response.js";

/** Route pattern for the type-level operation; `$` may arrive percent-encoded. */
export const VALIDATE_PATH = "/:type/:operation{(?:\\$|%24)validate}";

/** Modes of Resource-validate the gateway accepts; `delete` (can this resource be deleted?) is not supported. */
const MODES = new Set(["create", "update", "profile"]);

interface ValidateRequest {
  resource: unknown;
  profile?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads the body: the resource itself, or a Parameters resource with `resource` and optional `profile` and `mode`. */
function parseBody(body: unknown, queryProfile: string | undefined): ValidateRequest {
  if (!isObject(body)) throw badRequest("The body must be a FHIR resource or a Parameters resource (a JSON object)");
  if (body.resourceType !== "Parameters") return { resource: body, ...(queryProfile ? { profile: queryProfile } : {}) };
  const parameters = Array.isArray(body.parameter) ? body.parameter : [];
  let resource: unknown;
  let profile = queryProfile;
  parameters.forEach((p: unknown, i) => {
    const at = [`Parameters.parameter[${i}]`];
    if (!isObject(p) || typeof p.name !== "string") throw badRequest("Each parameter needs a name", at);
    if (p.name === "resource") {
      if (resource !== undefined) throw badRequest("Only one resource parameter is allowed", at);
      if (!isObject(p.resource)) throw badRequest("The resource parameter must carry a resource", at);
      resource = p.resource;
    } else if (p.name === "profile") {
      const value = p.valueUri ?? p.valueCanonical ?? p.valueString;
      if (typeof value !== "string") throw badRequest("The profile parameter must be a uri", at);
      profile = value;
    } else if (p.name === "mode") {
      if (typeof p.valueCode !== "string" || !MODES.has(p.valueCode)) {
        throw badRequest("mode must be create, update or profile (delete is not supported)", at);
      }
    }
  });
  if (resource === undefined)
    throw badRequest("Parameters must contain a resource parameter", ["Parameters.parameter"]);
  return { resource, ...(profile ? { profile } : {}) };
}

/**
 * Handles `POST /fhir/{type}/$validate` (http://hl7.org/fhir/R4/resource-operation-validate.html). Always 200
 * with an OperationOutcome when the request could be read: the issues found, or one informational issue when
 * there are none. Works for every R4 resource type, including those the gateway does not serve. A body that
 * is not a resource of `{type}` is a 400; a name that is not an R4 resource type a 404.
 */
export async function validateHandler(c: Context<AppEnv>): Promise<Response> {
  const type = c.req.param("type") as string;
  // Every R4 resource type can be validated, served or not (R4 Resource-validate); other names are 404.
  if (!canValidate(type)) throw notFound(`'${type.slice(0, 64)}' is not an R4 resource type`);
  const { resource, profile } = parseBody(await readFhirJson(c), c.req.query("profile"));
  const r = resource as Record<string, unknown>;
  if (typeof r.resourceType !== "string") throw badRequest("resourceType is missing", ["resourceType"]);
  if (r.resourceType !== type) throw badRequest(`The resource is not a ${type}`, ["resourceType"]);
  const issues = validateResource(resource, { ...(profile ? { profile } : {}), bestPractice: true });
  return fhirJson(
    operationOutcome(
      issues.length ? issues : [{ severity: "information", code: "informational", diagnostics: "No issues found" }],
    ),
  );
}
