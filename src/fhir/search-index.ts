/** Extracts search-index entries (tokens, references, strings, dates) from a resource according to SEARCH_PARAMS. */
import type {
  DateIndexEntry,
  ReferenceIndexEntry,
  ResourceIndex,
  StringIndexEntry,
  TokenIndexEntry,
} from "../store/port.js";
import { SEARCH_PARAMS, type SearchParamDef } from "./resource-types.js";
import { dateRange, periodRange } from "./search-dates.js";
import { MAX_STRING_LENGTH, normaliseString } from "./search-strings.js";

/**
 * Version of what the index holds. Bump it when SEARCH_PARAMS or the extraction below changes: stores
 * whose rows were built by an older version are reindexed (`npm run tfg -- reindex`, or on Node start).
 * 1 = tokens and references of the first schema; 2 = the R4 parameter table (migrations/0002).
 * Parameters with `indexedAs` have no rows of their own (the wider parameter's rows answer them).
 */
export const SEARCH_INDEX_VERSION = 2;

/** A path's steps, split once per distinct path. */
const stepsOf = new Map<string, string[]>();

function splitPath(path: string): string[] {
  let steps = stepsOf.get(path);
  if (!steps) {
    steps = path.split(".");
    stepsOf.set(path, steps);
  }
  return steps;
}

/** Appends the values at `steps[i..]` below `node` to `out`, flattening arrays at every step. */
function collect(node: unknown, steps: readonly string[], i: number, out: unknown[]): void {
  if (!node || typeof node !== "object" || Array.isArray(node)) return;
  const v = (node as Record<string, unknown>)[steps[i] as string];
  if (v === undefined || v === null) return;
  const last = i === steps.length - 1;
  if (Array.isArray(v)) {
    for (const item of v) {
      if (last) out.push(item);
      else collect(item, steps, i + 1, out);
    }
  } else if (last) out.push(v);
  else collect(v, steps, i + 1, out);
}

/** Values at a dotted path, flattening arrays at every step. */
export function valuesAt(root: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  collect(root, splitPath(path), 0, out);
  return out;
}

/**
 * Normalises a literal reference to `Type/id`: drops a base URL and a `_history` suffix.
 * Returns undefined for contained (`#x`), `urn:` and unparseable references.
 */
export function normaliseReference(reference: string): string | undefined {
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(reference);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** Elements of complex types that are not searchable text (`use`, `period`, …). */
const NOT_TEXT = new Set(["use", "type", "period", "extension", "modifierExtension", "id", "system"]);

/** Every string in a string-search target: the value itself, or each text part of a HumanName, Address, …. */
function stringsOf(v: unknown, out: string[], depth = 0): void {
  if (typeof v === "string") {
    if (v !== "") out.push(v);
  } else if (Array.isArray(v)) {
    for (const item of v) stringsOf(item, out, depth);
  } else if (v && typeof v === "object" && depth < 3) {
    for (const [k, child] of Object.entries(v)) if (!NOT_TEXT.has(k)) stringsOf(child, out, depth + 1);
  }
}

/** The `system|code` pairs of a token target: a code, boolean, Coding, CodeableConcept, Identifier or ContactPoint. */
function tokensOf(v: unknown, def: SearchParamDef): { system: string; value: string }[] {
  if (typeof v === "string") return v === "" ? [] : [{ system: def.codeSystem ?? "", value: v }];
  if (typeof v === "boolean") return [{ system: "", value: String(v) }];
  if (!v || typeof v !== "object") return [];
  const o = v as Record<string, unknown>;
  const sys = typeof o.system === "string" ? o.system : "";
  if (Array.isArray(o.coding)) return o.coding.flatMap((c) => tokensOf(c, def));
  if (typeof o.code === "string" && o.code !== "") return [{ system: sys, value: o.code }];
  if (typeof o.value === "string" && o.value !== "") {
    if (def.system !== undefined && o.system !== def.system) return [];
    return [{ system: sys, value: o.value }];
  }
  return [];
}

/** The referenced `Type/id` values of a reference target that the parameter may point to. */
export function referencesOf(v: unknown, def: SearchParamDef): string[] {
  const ref = v && typeof v === "object" ? (v as { reference?: unknown }).reference : undefined;
  const target = typeof ref === "string" ? normaliseReference(ref) : undefined;
  if (!target) return [];
  const type = target.slice(0, target.indexOf("/"));
  if (def.targets && !def.targets.includes(type)) return [];
  return [target];
}

/** The instant range of a date target: a date/dateTime/instant string or a Period. */
function rangeOf(v: unknown): { low: string; high: string } | undefined {
  const r =
    typeof v === "string"
      ? dateRange(v)
      : v && typeof v === "object"
        ? periodRange(v as { start?: unknown })
        : undefined;
  return r ? { low: r.start, high: r.end } : undefined;
}

/** A parameter with its paths split into steps, for one resource type. */
interface Extraction {
  def: SearchParamDef;
  paths: string[][];
}

/** Per resource type: the parameters that have rows of their own, paths split (built on first use). */
const extractions = new Map<string, Extraction[]>();

function extractionsOf(type: string): Extraction[] {
  let list = extractions.get(type);
  if (!list) {
    list = (SEARCH_PARAMS[type] ?? [])
      .filter((def) => !def.indexedAs)
      .map((def) => ({ def, paths: def.paths.map((p) => p.split(".")) }));
    extractions.set(type, list);
  }
  return list;
}

/** Pushes `entry` unless an entry with the same `key` was pushed before (first occurrence kept, in order). */
function add<T>(list: T[], seen: Set<string>, key: string, entry: T): void {
  if (seen.has(key)) return;
  seen.add(key);
  list.push(entry);
}

/** The index entries of one resource for every parameter of its type. */
export function indexResource(resource: Record<string, unknown>): ResourceIndex {
  const tokens: TokenIndexEntry[] = [];
  const references: ReferenceIndexEntry[] = [];
  const strings: StringIndexEntry[] = [];
  const dates: DateIndexEntry[] = [];
  const seen = {
    tokens: new Set<string>(),
    references: new Set<string>(),
    strings: new Set<string>(),
    dates: new Set<string>(),
  };
  const values: unknown[] = [];
  for (const { def, paths } of extractionsOf(String(resource.resourceType))) {
    const param = def.name;
    for (const steps of paths) {
      // Most parameters of a type name elements the resource does not have: skip them before collecting.
      if (resource[steps[0] as string] === undefined) continue;
      values.length = 0;
      collect(resource, steps, 0, values);
      for (const v of values) {
        switch (def.type) {
          case "token":
          case "uri":
            for (const t of tokensOf(v, def))
              add(tokens, seen.tokens, `${param}\u0000${t.system}\u0000${t.value}`, { param, ...t });
            break;
          case "reference":
            for (const target of referencesOf(v, def))
              add(references, seen.references, `${param}\u0000${target}`, { param, target });
            break;
          case "string": {
            const found: string[] = [];
            stringsOf(v, found);
            for (const exact of found) {
              const value = normaliseString(exact);
              const cut = exact.slice(0, MAX_STRING_LENGTH);
              add(strings, seen.strings, `${param}\u0000${value}\u0000${cut}`, { param, value, exact: cut });
            }
            break;
          }
          case "date": {
            const r = rangeOf(v);
            if (r) add(dates, seen.dates, `${param}\u0000${r.low}\u0000${r.high}`, { param, ...r });
            break;
          }
        }
      }
    }
  }
  return { tokens, references, strings, dates };
}
