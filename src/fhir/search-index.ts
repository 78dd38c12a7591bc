/** Extracts search-index entries from a resource according to SEARCH_PARAMS. */
import type { ReferenceIndexEntry, TokenIndexEntry } from "../store/port.js";
import { SEARCH_PARAMS } from "./resource-types.js";

/** Values at a dotted path, flattening arrays at every step. */
export function valuesAt(root: unknown, path: string): unknown[] {
  let current: unknown[] = [root];
  for (const step of path.split(".")) {
    const next: unknown[] = [];
    for (const node of current) {
      if (node && typeof node === "object" && !Array.isArray(node)) {
        const v = (node as Record<string, unknown>)[step];
        if (Array.isArray(v)) next.push(...v);
        else if (v !== undefined && v !== null) next.push(v);
      }
    }
    current = next;
  }
  return current;
}

/**
 * Normalises a literal reference to `Type/id`: drops a base URL and a `_history` suffix.
 * Returns undefined for contained (`#x`), `urn:` and unparseable references.
 */
export function normaliseReference(reference: string): string | undefined {
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(reference);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** The token and reference index entries for one resource. */
export function indexResource(resource: Record<string, unknown>): {
  tokens: TokenIndexEntry[];
  references: ReferenceIndexEntry[];
} {
  const tokens: TokenIndexEntry[] = [];
  const references: ReferenceIndexEntry[] = [];
  const defs = SEARCH_PARAMS[String(resource.resourceType)] ?? [];
  for (const def of defs) {
    if (def.indexedAs) continue; // its values are the rows of `indexedAs`
    for (const path of def.paths) {
      for (const v of valuesAt(resource, path)) {
        if (def.type === "token") {
          const t = v as { system?: unknown; value?: unknown };
          if (typeof t.value === "string" && t.value !== "") {
            tokens.push({ param: def.name, system: typeof t.system === "string" ? t.system : "", value: t.value });
          }
        } else {
          const ref = (v as { reference?: unknown }).reference;
          const target = typeof ref === "string" ? normaliseReference(ref) : undefined;
          if (!target) continue;
          const type = target.split("/")[0] as string;
          if (def.targets && def.targets.length > 0 && !def.targets.includes(type)) continue;
          references.push({ param: def.name, target });
        }
      }
    }
  }
  return { tokens: dedupe(tokens), references: dedupe(references) };
}

function dedupe<T>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const k = JSON.stringify(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
