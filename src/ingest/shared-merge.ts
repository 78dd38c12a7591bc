/**
 * A resource more than one source writes (a local authority's child, named by the CIN census and by the
 * case records under one id): the record's copy is merged with the stored one instead of replacing it,
 * so sending one source never erases what the other supplied, and re-sending either changes nothing.
 */

type Resource = Record<string, unknown> & { resourceType: string; id: string };
type Identifier = { system?: unknown; use?: unknown; value?: unknown };

const identifierKey = (i: Identifier) => `${String(i.system ?? "")}\u001f${String(i.use ?? "")}`;
const sortKey = (i: Identifier) => `${identifierKey(i)}\u001f${String(i.value ?? "")}`;
const asIdentifiers = (v: unknown): Identifier[] =>
  Array.isArray(v) ? v.filter((i): i is Identifier => i !== null && typeof i === "object") : [];

/**
 * Merges `incoming` (what a record produces) over `stored` (the current version, if any):
 * - the elements in `owns` (every top-level element the producing rule's template can write) come from
 *   `incoming`, so a source can clear what it wrote; any other element of `stored` is kept;
 * - identifiers: the record's, plus each stored identifier whose system and use the record does not
 *   give (another source's number), in a fixed order (system, use, value) so the result does not
 *   depend on which source came first;
 * - `meta.source` stays the first writer's (each source's Provenance names what it contributed).
 * Where two sources disagree on an element both write, the file sent last wins.
 */
export function mergeShared(stored: Resource | undefined, incoming: Resource, owns: readonly string[]): Resource {
  const out: Resource = { ...incoming };
  if (stored) {
    for (const [k, v] of Object.entries(stored)) {
      if (k === "id" || k === "meta" || k === "resourceType" || k === "identifier") continue;
      if (!owns.includes(k) && !(k in out)) out[k] = v;
    }
    const storedMeta = (stored.meta ?? {}) as Record<string, unknown>;
    const meta = { ...((incoming.meta ?? {}) as Record<string, unknown>) };
    if (storedMeta.source !== undefined) meta.source = storedMeta.source;
    out.meta = meta;
  }
  const mine = asIdentifiers(incoming.identifier);
  const given = new Set(mine.map(identifierKey));
  const kept = asIdentifiers(stored?.identifier).filter((i) => !given.has(identifierKey(i)));
  const identifiers = [...mine, ...kept].sort((a, b) =>
    sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0,
  );
  if (identifiers.length) out.identifier = identifiers;
  return out;
}
