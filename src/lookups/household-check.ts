/**
 * `Patient/$household-check` (issue 10 scope 8; docs/LOOKUPS.md): from a child's identifiers to the adults of the
 * child's households known to mental health or drug and alcohol services (an open CPA or treatment episode), each
 * shown at the level the policy permits the caller for that episode — an adult at level `none` is not listed at all.
 * Every decision, permit or deny, is audited before the answer leaves.
 */
import type { AuditDecision } from "../audit/audit-event.js";
import type { ChildQuery } from "./child-query.js";
import { decideRecord, type LookupContext, personKeys } from "./decide-record.js";
import { findChild } from "./find-child.js";
import { housemates } from "./household-members.js";
import { decisionParts, leadProfessional, openEpisodes, type ParametersPart, resourcePart } from "./parts.js";

/** Episode types of adult services (CodeSystem `episode-type`). */
export const ADULT_SERVICE_EPISODES = ["cpa", "drug-alcohol-treatment"] as const;

/** The rule recorded when no child matches the identifiers (nothing else is decided or shown). */
export const NO_CHILD_RULE = "household-check-no-matching-child";

const noChild: AuditDecision = {
  effect: "deny",
  level: "none",
  rule: NO_CHILD_RULE,
  reasons: ["no child record matches the identifiers given"],
};

/** Runs the check; resolves with a Parameters resource (one `adult` parameter per episode the caller may see). */
export async function householdCheck(ctx: LookupContext, query: ChildQuery): Promise<Record<string, unknown>> {
  const found = await findChild(ctx.lookup, ctx.actor, query);
  const child = new Set<string>();
  await ctx.lookup.prefetchReferencing("Person", "link", found);
  for (const k of found) for (const p of await personKeys(ctx.lookup, k)) child.add(p);
  if (child.size === 0) {
    await ctx.auditor.record(
      ctx.actor,
      { interaction: "operation", operation: ctx.operation, resourceType: "Patient" },
      noChild,
    );
    return { resourceType: "Parameters", parameter: [] };
  }
  const parameter: ParametersPart[] = [];
  const mates = await housemates(ctx.lookup, [...child].sort(), ctx.at);
  await ctx.lookup.prefetchReferencing(
    "EpisodeOfCare",
    "patient",
    mates.flatMap((m) => m.keys),
  );
  for (const mate of mates) {
    for (const ep of await openEpisodes(ctx.lookup, mate.keys, ADULT_SERVICE_EPISODES, ctx.at)) {
      const subject = (ep.patient as { reference?: string } | undefined)?.reference ?? (mate.keys[0] as string);
      const d = await decideRecord(ctx, subject, ep);
      if (d.level === "none") continue;
      const part: ParametersPart[] = [
        ...resourcePart("patient", await ctx.lookup.read(subject), d.level),
        ...resourcePart("episode", ep, d.level),
        ...resourcePart("leadProfessional", await leadProfessional(ctx.lookup, ep.careManager, d.level), d.level),
        ...decisionParts(d),
      ];
      parameter.push({ name: "adult", part });
    }
  }
  return { resourceType: "Parameters", parameter };
}
