/** Building blocks of the lookups' Parameters answers: redacted resources as parts, episode types, open episodes. */
import type { DerivedResource } from "../derive/port.js";
import { codeSystemUrl } from "../fhir/canonical.js";
import type { Lookup } from "../households/lookup.js";
import type { Decision } from "../policy/decision.js";
import { covers, type Level } from "../policy/levels.js";
import { redact } from "../policy/redact.js";
import { currentAt } from "./household-members.js";

/** One `Parameters.parameter` (or part). */
export type ParametersPart = { name: string } & Record<string, unknown>;

const EPISODE_TYPE = codeSystemUrl("episode-type");
const CLOSED = new Set(["finished", "cancelled", "entered-in-error"]);

/** The `episode-type` codes of an EpisodeOfCare (or CarePlan category). */
export function episodeTypes(r: DerivedResource): string[] {
  const concepts = [...(Array.isArray(r.type) ? r.type : []), ...(Array.isArray(r.category) ? r.category : [])] as {
    coding?: { system?: string; code?: string }[];
  }[];
  return concepts.flatMap((c) =>
    (c.coding ?? [])
      .filter((x) => x.system === EPISODE_TYPE && typeof x.code === "string")
      .map((x) => x.code as string),
  );
}

/** Open EpisodeOfCare resources (not closed, period current at `at`) of any of `keys` with one of `types`. */
export async function openEpisodes(
  lookup: Lookup,
  keys: readonly string[],
  types: readonly string[],
  at: string,
): Promise<DerivedResource[]> {
  const out = new Map<string, DerivedResource>();
  for (const k of keys)
    for (const ep of await lookup.byReference("EpisodeOfCare", "patient", k)) {
      if (typeof ep.status === "string" && CLOSED.has(ep.status)) continue;
      if (!currentAt(ep.period, at)) continue;
      if (!episodeTypes(ep).some((t) => types.includes(t))) continue;
      out.set(ep.id, ep);
    }
  return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** A part holding `resource` as `level` shows it, or nothing when nothing of it may be shown. */
export function resourcePart(name: string, resource: DerivedResource | undefined, level: Level): ParametersPart[] {
  const shown = resource ? redact(resource, level) : undefined;
  return shown ? [{ name, resource: shown }] : [];
}

/** The `Practitioner/…` a reference element names, read, when `level` shows a lead professional (contact and up). */
export async function leadProfessional(
  lookup: Lookup,
  ref: unknown,
  level: Level,
): Promise<DerivedResource | undefined> {
  if (!covers(level, "contact")) return undefined;
  const r = (ref as { reference?: unknown } | null)?.reference;
  if (typeof r !== "string" || !/^Practitioner\/[A-Za-z0-9\-.]{1,64}$/.test(r)) return undefined;
  return lookup.read(r);
}

/** The decision's parts: level, legal basis, and the note that consent would allow more. */
export function decisionParts(d: Decision): ParametersPart[] {
  const parts: ParametersPart[] = [{ name: "level", valueCode: d.level }];
  if (d.legalBasis) parts.push({ name: "legalBasis", valueString: d.legalBasis });
  for (const o of d.obligations) {
    if (o.kind === "tell-caller-consent-needed") parts.push({ name: "note", valueString: o.message });
    if (o.kind === "expires-after") parts.push({ name: "expires", valueInstant: o.until });
  }
  return parts;
}
