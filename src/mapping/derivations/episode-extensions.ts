/** Derivations that build repeated EpisodeOfCare extensions: milestones and problem substances. */
import { TFG_BASE } from "../../fhir/canonical.js";
import { readPath, valueAtPath } from "../paths.js";
import type { Derivation } from "../template.js";

/**
 * `episode-milestone` extensions, one per date present. Args: `{ milestoneCode: "FieldPath", … }`
 * with codes from the `episode-milestone` code system.
 */
export const milestones: Derivation = (scope, args, ctx) => {
  const out: unknown[] = [];
  for (const [code, path] of Object.entries(args)) {
    if (typeof path !== "string") continue;
    ctx.read.add(readPath(scope, path));
    const date = valueAtPath(scope, path);
    if (typeof date !== "string") continue;
    out.push({
      url: `${TFG_BASE}/StructureDefinition/episode-milestone`,
      extension: [
        { url: "type", valueCoding: { system: `${TFG_BASE}/CodeSystem/episode-milestone`, code } },
        { url: "date", valueDate: date },
      ],
    });
  }
  return out.length ? out : undefined;
};

/** `problem-substance` extensions from NDTMS DRUG1..3, skipping "no substance" filler codes. Args: `paths`, `fillers`. */
export const substances: Derivation = (scope, args, ctx) => {
  const paths = (args.paths ?? []) as string[];
  const fillers = (args.fillers ?? []) as string[];
  const out: unknown[] = [];
  for (const path of paths) {
    ctx.read.add(readPath(scope, path));
    const code = valueAtPath(scope, path);
    if (typeof code !== "string" || fillers.includes(code)) continue;
    out.push({
      url: `${TFG_BASE}/StructureDefinition/problem-substance`,
      valueCodeableConcept: { coding: [{ system: `${TFG_BASE}/CodeSystem/ndtms-drug`, code }] },
    });
  }
  return out.length ? out : undefined;
};

/**
 * The `referral-outcome` extension of a CIN referral: no further action, early help (closure RC9), or
 * assessment. A referral with none of these (still open, no assessment in this return — e.g. one made
 * before the collection year) has no outcome yet: no extension, rather than one without a value.
 */
export const cinReferralOutcome: Derivation = (scope, _args, ctx) => {
  for (const p of ["ReferralNFA", "ReasonForClosure", "Assessments"])
    ctx.read.add(scope.path ? `${scope.path}.${p}` : p);
  const item = scope.item;
  const code =
    item.ReferralNFA === "Y"
      ? "no-further-action"
      : item.ReasonForClosure === "RC9"
        ? "early-help"
        : Array.isArray(item.Assessments) && item.Assessments.length > 0
          ? "assessment"
          : undefined;
  if (!code) return undefined;
  return {
    url: `${TFG_BASE}/StructureDefinition/referral-outcome`,
    valueCodeableConcept: { coding: [{ system: `${TFG_BASE}/CodeSystem/referral-outcome`, code }] },
  };
};
