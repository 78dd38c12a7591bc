/** Checks the shape of a resource body before it is stored: an object of a served type with a valid id. */
import { badRequest, notFound } from "./errors.js";
import { isSupportedType } from "./resource-types.js";

/** A FHIR resource as plain JSON. */
export type ResourceJson = Record<string, unknown> & { resourceType: string; id?: string };

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** True when `id` is a valid FHIR logical id. */
export const isValidId = (id: string) => ID.test(id);

/** Throws 404 unless the gateway serves `type`. */
export function assertSupportedType(type: string): void {
  if (!isSupportedType(type)) throw notFound(`Resource type '${type.slice(0, 64)}' is not served by this gateway`);
}

/** Throws 400 unless `id` is a valid logical id. */
export function assertValidId(id: string, where = "id"): void {
  if (!isValidId(id)) throw badRequest("Invalid logical id: use 1–64 of A-Z a-z 0-9 - .", [where]);
}

/**
 * Checks that `body` is a resource of `expectedType` (when given) that the gateway serves.
 * `where` prefixes issue expressions (e.g. `Bundle.entry[3].resource`).
 */
export function asResource(body: unknown, expectedType?: string, where?: string): ResourceJson {
  const at = (p: string) => [where ? `${where}.${p}` : p];
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("The body must be a FHIR resource (a JSON object)", where ? [where] : undefined);
  }
  const r = body as Record<string, unknown>;
  if (typeof r.resourceType !== "string") throw badRequest("resourceType is missing", at("resourceType"));
  if (expectedType && r.resourceType !== expectedType) {
    throw badRequest(
      `resourceType '${r.resourceType.slice(0, 64)}' does not match the URL's type '${expectedType}'`,
      at("resourceType"),
    );
  }
  if (!isSupportedType(r.resourceType)) {
    throw badRequest(
      `Resource type '${r.resourceType.slice(0, 64)}' is not served by this gateway`,
      at("resourceType"),
    );
  }
  if (r.id !== undefined && (typeof r.id !== "string" || !isValidId(r.id))) {
    throw badRequest("Invalid logical id: use 1–64 of A-Z a-z 0-9 - .", at("id"));
  }
  if (r.meta !== undefined && (typeof r.meta !== "object" || r.meta === null || Array.isArray(r.meta))) {
    throw badRequest("meta must be an object", at("meta"));
  }
  return r as ResourceJson;
}
