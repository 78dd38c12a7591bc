/**
 * The ownership check on every FHIR REST write (create, update, delete, transaction entries): a resource
 * ingest marked with an owner (`meta.tag` record-owner) changes only at the hands of that owner or its
 * authorised submitter, and no write may claim another organisation's ownership.
 */
import { type OwnershipRule, ownersOf, withOwner } from "../auth/ownership.js";
import type { StoredVersion } from "../store/port.js";
import { forbidden } from "./errors.js";
import type { ResourceJson } from "./resource-body.js";

/**
 * Checks one write by organisation `org` (undefined: no caller, which owns nothing) of `next` (undefined
 * for a delete) over `current`. Returns `next` with the current owner tag carried forward when the body
 * leaves it out (FHIR keeps tags across updates); throws 403 otherwise. `where` prefixes the expression.
 */
export function guardWrite(
  rule: OwnershipRule,
  org: string | undefined,
  current: StoredVersion | undefined,
  next: ResourceJson | undefined,
  where = "",
): ResourceJson | undefined {
  const owners = current && !current.deleted ? ownersOf(current.resource) : [];
  const at = (path: string) =>
    where ? [next ? `${where}.${path}` : where] : [`${current?.resourceType ?? next?.resourceType}.${path}`];
  for (const owner of owners) {
    if (!rule(org, owner)) {
      throw forbidden(
        "This resource was sent by the organisation that owns it; only that organisation or its authorised submitter may change or delete it",
        at("meta.tag"),
      );
    }
  }
  if (!next) return next;
  const claimed = ownersOf(next);
  for (const owner of claimed) {
    if (!rule(org, owner)) {
      throw forbidden("meta.tag names another organisation as the record owner (record-owner)", at("meta.tag"));
    }
  }
  return claimed.length === 0 && owners[0] !== undefined ? withOwner(next, owners[0]) : next;
}
