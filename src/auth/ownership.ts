/**
 * Who may write a record: the organisation that owns it, or one configured as that owner's authorised
 * submitter (`TFG_INGEST_SUBMITTERS`). Ingest marks what it produces with its owner as a `meta.tag`
 * (code system `record-owner`); FHIR REST writes and ingest both check the same rule.
 */
import { codeSystemUrl } from "../fhir/canonical.js";

/** Authorised submitters: submitting organisation code → owner organisation codes it may send and write for. */
export type Submitters = Readonly<Record<string, readonly string[]>>;

/** The `meta.tag` system whose code is the owning organisation's code (as in a token's `org` claim). */
export const RECORD_OWNER_SYSTEM = codeSystemUrl("record-owner");

/** The owner tag code of everything the gateway derives (person index, households, flags): no organisation may write it over REST. */
export const GATEWAY_OWNER = "tfg-gateway";

const norm = (code: string) => code.trim().toUpperCase();

/** Decides whether organisation `org` may write records owned by `owner`. */
export type OwnershipRule = (org: string | undefined, owner: string) => boolean;

/** The rule for a submitter configuration: the owner itself, or an authorised submitter listed for it. Codes compare case-insensitively. */
export function ownershipRule(submitters: Submitters): OwnershipRule {
  const allowed = new Map<string, Set<string>>();
  for (const [submitter, owners] of Object.entries(submitters)) {
    const set = allowed.get(norm(submitter)) ?? new Set<string>();
    for (const o of owners) set.add(norm(o));
    allowed.set(norm(submitter), set);
  }
  return (org, owner) => {
    if (org === undefined || org.trim() === "") return false;
    const o = norm(owner);
    return norm(org) === o || (allowed.get(norm(org))?.has(o) ?? false);
  };
}

type Tag = { system?: unknown; code?: unknown };

const tagsOf = (resource: Record<string, unknown> | undefined): Tag[] => {
  const tag = (resource?.meta as { tag?: unknown } | undefined)?.tag;
  return Array.isArray(tag) ? (tag as Tag[]) : [];
};

/** The owner organisations a resource's `meta.tag` names (normally none or one). */
export function ownersOf(resource: Record<string, unknown> | undefined): string[] {
  return tagsOf(resource)
    .filter((t) => t && t.system === RECORD_OWNER_SYSTEM && typeof t.code === "string")
    .map((t) => t.code as string);
}

/** `resource` with its owner tag set to `owner` (other tags kept, any other owner tag replaced). */
export function withOwner<T extends Record<string, unknown>>(resource: T, owner: string): T {
  const meta = (resource.meta as Record<string, unknown> | undefined) ?? {};
  const others = tagsOf(resource).filter((t) => !(t && t.system === RECORD_OWNER_SYSTEM));
  return { ...resource, meta: { ...meta, tag: [...others, { system: RECORD_OWNER_SYSTEM, code: owner }] } };
}
