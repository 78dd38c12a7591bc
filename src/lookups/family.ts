/**
 * `Patient/{id}/$family` (issue 10 scope 8; docs/LOOKUPS.md): for adult services, the children in the patient's
 * households with their child protection, child in need and looked-after status (open episodes, active CP plans and
 * the derived Flags) and the allocated LA contact, each at the level the policy permits for that child. The caller
 * must first be permitted the patient: otherwise the answer is empty, whether or not the patient exists.
 */
import type { AuditDecision } from "../audit/audit-event.js";
import type { DerivedResource } from "../derive/port.js";
import { codeSystemUrl } from "../fhir/canonical.js";
import { subjectKindOf } from "../policy/subject-age.js";
import { decideRecord, type LookupContext, personKeys } from "./decide-record.js";
import { housemates } from "./household-members.js";
import {
  decisionParts,
  episodeTypes,
  leadProfessional,
  openEpisodes,
  type ParametersPart,
  resourcePart,
} from "./parts.js";

/** Episode types that are a child's status with the LA. */
export const CHILD_STATUS_EPISODES = ["child-in-need", "child-protection", "looked-after"] as const;
/** Flag codes (CodeSystem `flag-code`) that are a child's status. */
export const CHILD_STATUS_FLAGS = ["child-protection-plan", "child-in-need", "looked-after"] as const;
/** The rule recorded when the patient asked about does not exist. */
export const NO_PATIENT_RULE = "family-no-such-patient";

const FLAG_CODE = codeSystemUrl("flag-code");

const noPatient: AuditDecision = {
  effect: "deny",
  level: "none",
  rule: NO_PATIENT_RULE,
  reasons: ["no current Patient record with that id"],
};

const EMPTY = () => ({ resourceType: "Parameters", parameter: [] as ParametersPart[] });

const flagCodes = (f: DerivedResource): string[] =>
  ((f.code as { coding?: { system?: string; code?: string }[] } | undefined)?.coding ?? [])
    .filter((c) => c.system === FLAG_CODE && typeof c.code === "string")
    .map((c) => c.code as string);

/** The child's status records: open CIN / CP / looked-after episodes, active CP plans, active status Flags. */
async function statusOf(ctx: LookupContext, keys: readonly string[]) {
  const episodes = await openEpisodes(ctx.lookup, keys, CHILD_STATUS_EPISODES, ctx.at);
  const plans: DerivedResource[] = [];
  const flags: DerivedResource[] = [];
  for (const k of keys) {
    for (const p of await ctx.lookup.byReference("CarePlan", "subject", k))
      if (p.status === "active" && episodeTypes(p).includes("child-protection")) plans.push(p);
    for (const f of await ctx.lookup.byReference("Flag", "subject", k))
      if (f.status === "active" && flagCodes(f).some((c) => (CHILD_STATUS_FLAGS as readonly string[]).includes(c)))
        flags.push(f);
  }
  return { episodes, plans, flags };
}

/** Runs the lookup for `Patient/{id}`; resolves with a Parameters resource (one `child` parameter per child shown). */
export async function family(ctx: LookupContext, id: string): Promise<Record<string, unknown>> {
  const key = `Patient/${id}`;
  const patient = await ctx.lookup.read(key);
  if (!patient) {
    await ctx.auditor.record(
      ctx.actor,
      { interaction: "operation", operation: ctx.operation, resourceType: "Patient", resource: key },
      noPatient,
    );
    return EMPTY();
  }
  const own = await decideRecord(ctx, key, patient);
  if (own.level === "none") return EMPTY();
  const out = EMPTY();
  for (const mate of await housemates(ctx.lookup, await personKeys(ctx.lookup, key), ctx.at)) {
    const childKey = mate.keys[0] as string;
    const child = await ctx.lookup.read(childKey);
    if (!child || subjectKindOf(child, ctx.at) !== "child") continue;
    const d = await decideRecord(ctx, childKey, child);
    if (d.level === "none") continue;
    const status = await statusOf(ctx, mate.keys);
    const part: ParametersPart[] = [...resourcePart("child", child, d.level)];
    for (const ep of status.episodes) {
      part.push(...resourcePart("episode", ep, d.level));
      part.push(...resourcePart("laContact", await leadProfessional(ctx.lookup, ep.careManager, d.level), d.level));
    }
    for (const p of status.plans) part.push(...resourcePart("plan", p, d.level));
    for (const f of status.flags) part.push(...resourcePart("flag", f, d.level));
    part.push(...decisionParts(d));
    out.parameter.push({ name: "child", part });
  }
  return out;
}
