/** Expands a ValueSet into explicit (system, codes) lists when that is possible from the loaded definitions. */
import type { CodeSystemConcept, ValueSetComposeInclude } from "fhir/r4";
import type { Definitions } from "./definitions.js";

/** The codes a value set allows, grouped by code system. */
export interface Expansion {
  system: string;
  codes: string[];
}

/** Why a value set could not be enumerated (reported by the build, listed in docs/VALIDATION.md). */
export type NotEnumerable = { reason: string };

const flatten = (concepts: CodeSystemConcept[] = []): string[] =>
  concepts.flatMap((c) => [c.code, ...flatten(c.concept)]);

function includeCodes(defs: Definitions, inc: ValueSetComposeInclude, seen: Set<string>): Expansion[] | NotEnumerable {
  if (inc.filter?.length) return { reason: `filter on ${inc.system}` };
  const parts: Expansion[][] = [];
  for (const vsUrl of inc.valueSet ?? []) {
    const nested = expandValueSet(defs, vsUrl, seen);
    if ("reason" in nested) return nested;
    parts.push(nested);
  }
  if (inc.system) {
    let codes: string[];
    if (inc.concept?.length) {
      codes = inc.concept.map((c) => c.code);
    } else {
      const cs = defs.codeSystem(inc.system);
      if (!cs) return { reason: `code system ${inc.system} is not in the loaded definitions` };
      if (cs.content !== "complete") return { reason: `code system ${inc.system} has content ${cs.content}` };
      codes = flatten(cs.concept);
    }
    parts.push([{ system: inc.system, codes }]);
  }
  // Several parts of one include intersect; the packages only use one part per include in practice.
  if (parts.length > 1) return { reason: "include combines a system with value sets" };
  return parts[0] ?? [];
}

/** Merges expansions that share a system and sorts codes, so the output is deterministic. */
function normalise(list: Expansion[]): Expansion[] {
  const bySystem = new Map<string, Set<string>>();
  for (const e of list) {
    const set = bySystem.get(e.system) ?? new Set<string>();
    for (const c of e.codes) set.add(c);
    bySystem.set(e.system, set);
  }
  return [...bySystem.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([system, codes]) => ({ system, codes: [...codes].sort() }));
}

/** Expands `url` (version suffix ignored) into explicit codes, or says why it cannot. */
export function expandValueSet(defs: Definitions, url: string, seen = new Set<string>()): Expansion[] | NotEnumerable {
  const vs = defs.valueSet(url);
  if (!vs) return { reason: `value set ${url} is not in the loaded definitions` };
  if (seen.has(vs.url as string)) return { reason: `value set ${url} includes itself` };
  const path = new Set(seen).add(vs.url as string);
  if (!vs.compose?.include?.length) return { reason: `value set ${url} has no compose` };
  const included: Expansion[] = [];
  for (const inc of vs.compose.include) {
    const r = includeCodes(defs, inc, path);
    if ("reason" in r) return r;
    included.push(...r);
  }
  const excluded = new Set<string>();
  for (const exc of vs.compose.exclude ?? []) {
    if (!exc.system || !exc.concept?.length || exc.filter?.length || exc.valueSet?.length) {
      return { reason: `value set ${url} has an exclude that is not a plain code list` };
    }
    for (const c of exc.concept) excluded.add(`${exc.system}|${c.code}`);
  }
  return normalise(
    included.map((e) => ({ system: e.system, codes: e.codes.filter((c) => !excluded.has(`${e.system}|${c}`)) })),
  );
}

/** Total number of codes in an expansion. */
export const codeCount = (list: Expansion[]) => list.reduce((n, e) => n + e.codes.length, 0);
