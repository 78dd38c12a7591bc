/** Derivations that build repeated EpisodeOfCare extensions: milestones and problem substances. */
import { TFG_BASE } from "../../fhir/canonical.js";
import { valueAtPath } from "../paths.js";
import type { Derivation } from "../template.js";

/**
 * `episode-milestone` extensions, one per date present. Args: `{ milestoneCode: "FieldPath", … }`
 * with codes from the `episode-milestone` code system.
 */
export const milestones: Derivation = (scope, args, ctx) => {
  const out: unknown[] = [];
  for (const [code, path] of Object.entries(args)) {
    if (typeof path !== "string") continue;
    ctx.read.add(path.replace(/^\^/, "").replace(/\[\]/g, ""));
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
    ctx.read.add(path);
    const code = valueAtPath(scope, path);
    if (typeof code !== "string" || fillers.includes(code)) continue;
    out.push({
      url: `${TFG_BASE}/StructureDefinition/problem-substance`,
      valueCodeableConcept: { coding: [{ system: `${TFG_BASE}/CodeSystem/ndtms-drug`, code }] },
    });
  }
  return out.length ? out : undefined;
};
