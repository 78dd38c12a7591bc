/** The TFG-Household Group and its Provenance for one household, from its members' memberships. */
import { GATEWAY_OWNER, withOwner } from "../auth/ownership.js";
import type { DerivedResource } from "../derive/port.js";
import { deterministicId } from "../mapping/ids.js";
import { HOUSEHOLDS_SOURCE, type Membership } from "./memberships.js";

const BASE = "https://think-family-gateway.example/fhir";
/** The identifier system of household keys. */
export const HOUSEHOLD_KEY_SYSTEM = `${BASE}/Id/household-key`;

/** The Provenance id of a household's Group. */
export const provenanceIdOf = (groupId: string): string => deterministicId(HOUSEHOLDS_SOURCE, "Provenance", [groupId]);

/** The Group's identifier value: the UPRN, or for an address key the Group id (the address itself stays out of identifiers). */
const keyValue = (m: Membership, groupId: string) =>
  m.key.kind === "uprn" ? `uprn:${m.key.uprn}` : `address:${groupId}`;

/**
 * The Group (type person, actual) with one member per Patient record, in reference order, and the
 * Provenance naming every record the memberships were derived from. `members` maps `Patient/id` to
 * that record's membership of this household.
 */
export function buildHousehold(groupId: string, members: Map<string, Membership>): DerivedResource[] {
  const refs = [...members.keys()].sort();
  const first = members.get(refs[0] as string) as Membership;
  const group: DerivedResource = {
    resourceType: "Group",
    id: groupId,
    meta: { source: HOUSEHOLDS_SOURCE, profile: [`${BASE}/StructureDefinition/TFG-Household`] },
    identifier: [{ system: HOUSEHOLD_KEY_SYSTEM, value: keyValue(first, groupId) }],
    type: "person",
    actual: true,
    member: refs.map((ref) => {
      const m = members.get(ref) as Membership;
      return {
        entity: { reference: ref },
        ...(m.period.start || m.period.end ? { period: m.period } : {}),
        ...(m.left ? { inactive: true } : {}),
      };
    }),
  };
  const evidence = [...new Set(refs.flatMap((r) => [r, ...(members.get(r) as Membership).evidence]))].sort();
  const provenance: DerivedResource = {
    resourceType: "Provenance",
    id: provenanceIdOf(groupId),
    meta: { source: HOUSEHOLDS_SOURCE, profile: [`${BASE}/StructureDefinition/TFG-Provenance`] },
    target: [{ reference: `Group/${groupId}` }],
    activity: { text: "derived: households" },
    agent: [{ who: { display: "Think Family Gateway derivation (households)" } }],
    entity: evidence.map((ref) => ({
      role: "source",
      what: { reference: ref, identifier: { system: "urn:tfg:derived-from", value: ref }, display: "households@1" },
    })),
  };
  return [withOwner(group, GATEWAY_OWNER), withOwner(provenance, GATEWAY_OWNER)];
}
