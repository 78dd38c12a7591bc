/**
 * Flag and Provenance resources from a subject's reasons: one Flag per (code, subject) with a
 * deterministic id, its status and period from the data, and a Provenance naming the records it rests on.
 */
import { GATEWAY_OWNER, withOwner } from "../auth/ownership.js";
import type { DerivedResource } from "../derive/port.js";
import { deterministicId } from "../mapping/ids.js";
import { DERIVED_SOURCE, DERIVER_NAME, FLAG_DISPLAY, type FlagCode, RULES_VERSION, SYSTEMS, URLS } from "./codes.js";
import { earliest, latest } from "./dates.js";
import type { Reason } from "./rules.js";
import { ended } from "./span.js";

/** The id of the Flag with `code` on Patient `subject`. */
export const flagId = (code: FlagCode, subject: string) => deterministicId(DERIVER_NAME, "Flag", [code, subject]);
/** The id of the Provenance of Flag `id` (one resource, a version per Flag version). */
export const provenanceId = (id: string) => deterministicId(DERIVER_NAME, "Provenance", [id]);

const meta = (profile: string) => ({ source: DERIVED_SOURCE, profile: [profile] });

/** The Flag and its Provenance for `code` on `subject` from its reasons (at least one), dates passed against `asOf`. */
export function flagFor(
  code: FlagCode,
  subject: string,
  rs: readonly Reason[],
  asOf: string | undefined,
): DerivedResource[] {
  const live = rs.filter((r) => !ended(r.span, asOf));
  const chosen = live.length > 0 ? live : rs;
  const start = earliest(chosen.map((r) => r.span.start));
  const end =
    live.length > 0 && live.some((r) => r.span.end === undefined) ? undefined : latest(chosen.map((r) => r.span.end));
  const period: Record<string, unknown> = {};
  if (start !== undefined) period.start = start;
  else period._start = { extension: [{ url: URLS.dataAbsentReason, valueCode: "unknown" }] };
  if (end !== undefined) period.end = end;
  const id = flagId(code, subject);
  const flag = withOwner(
    {
      resourceType: "Flag",
      id,
      meta: meta(URLS.flagProfile),
      status: live.length > 0 ? "active" : "inactive",
      code: { coding: [{ system: SYSTEMS.flagCode, code, display: FLAG_DISPLAY[code] }] },
      subject: { reference: `Patient/${subject}` },
      period,
    },
    GATEWAY_OWNER,
  );
  const sources = [...new Set(rs.flatMap((r) => r.sources))].sort();
  return [flag, provenance(id, sources)];
}

/** A Flag that no longer holds: the stored one made `inactive` (never deleted), its Provenance naming only the subject. */
export function noLongerHolds(stored: DerivedResource, subject: string): DerivedResource[] {
  const { meta: _meta, ...rest } = stored;
  const flag = withOwner(
    { ...rest, meta: meta(URLS.flagProfile), status: "inactive" } as DerivedResource,
    GATEWAY_OWNER,
  );
  return [flag, provenance(stored.id, [`Patient/${subject}`])];
}

function provenance(flag: string, sources: readonly string[]): DerivedResource {
  return withOwner(
    {
      resourceType: "Provenance",
      id: provenanceId(flag),
      meta: meta(URLS.provenanceProfile),
      target: [{ reference: `Flag/${flag}` }],
      activity: {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-DataOperation", code: "UPDATE" }],
        text: "Derived by the think-family flag rules",
      },
      agent: [{ who: { display: `Think Family Gateway derivation (${DERIVER_NAME})` } }],
      entity: sources.map((key) => ({
        role: "source",
        what: { reference: key, identifier: { system: SYSTEMS.derivedInput, value: key }, display: RULES_VERSION },
      })),
    },
    GATEWAY_OWNER,
  );
}
