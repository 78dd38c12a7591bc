/**
 * Finds the child's Patient records for `$household-check` by indexed look-ups only: NHS number, the LA child id of
 * the caller's LA (CIN census / SSD identifier system `Id/cin-la-child/{LA}`), or family name + birth date +
 * postcode (postcode index, then exact birth date and normalised family and given name).
 */
import type { Actor } from "../auth/actor.js";
import type { DerivedResource } from "../derive/port.js";
import { TFG_BASE } from "../fhir/canonical.js";
import { normaliseString } from "../fhir/search-strings.js";
import type { Lookup } from "../households/lookup.js";
import type { ChildQuery } from "./child-query.js";

/** Identifier system prefix of an LA's child ids (followed by the LA code). */
export const LA_CHILD_ID_SYSTEM = `${TFG_BASE}/Id/cin-la-child/`;

type Json = Record<string, unknown>;

const namesOf = (p: DerivedResource): { family: string; given: string[] }[] =>
  (Array.isArray(p.name) ? (p.name as Json[]) : []).map((n) => ({
    family: typeof n.family === "string" ? normaliseString(n.family) : "",
    given: (Array.isArray(n.given) ? n.given : [])
      .filter((g): g is string => typeof g === "string")
      .map(normaliseString),
  }));

/** `Patient/id` of every record the query identifies (the person index's links are added by the caller). */
export async function findChild(lookup: Lookup, actor: Actor, q: ChildQuery): Promise<string[]> {
  let found: DerivedResource[];
  if (q.kind === "nhs-number") found = await lookup.byNhsNumber("Patient", q.nhsNumber);
  else if (q.kind === "la-child-id") {
    found = await lookup.view.find("Patient", [
      { kind: "token", param: "identifier", values: [{ system: `${LA_CHILD_ID_SYSTEM}${actor.org}`, value: q.value }] },
    ]);
  } else {
    const family = normaliseString(q.family);
    const given = q.given ? normaliseString(q.given) : undefined;
    found = (await lookup.byPostcode("Patient", q.postcode)).filter(
      (p) =>
        p.birthDate === q.birthDate &&
        namesOf(p).some((n) => n.family === family && (given === undefined || n.given.includes(given))),
    );
  }
  return [...new Set(found.map((p) => `Patient/${p.id}`))].sort();
}
