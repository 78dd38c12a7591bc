/**
 * Parses FHIR search parameters (http://hl7.org/fhir/R4/search.html) into a store SearchRequest plus
 * what the result needs (`_include`, `_revinclude`, `_elements`, `_summary`). Every type's string,
 * token, uri, date and reference parameters (SEARCH_PARAMS), `_id` and `_lastUpdated` are supported
 * with their R4 modifiers and prefixes. A parameter the server does not support is left out of the
 * search and reported (a warning; 400 with `Prefer: handling=strict`); an unsupported modifier or a
 * malformed value is always a 400.
 */
import type { DatePrefix, DateValue, SearchCriterion, SearchRequest, SearchSort } from "../store/port.js";
import { badRequest, type FhirIssue } from "./errors.js";
import { isSupportedType, RESOURCE_TYPES, SEARCH_PARAMS, type SearchParamDef, searchParam } from "./resource-types.js";
import { decodeCursor } from "./search-cursor.js";
import { approximately, dateRange, searchRange } from "./search-dates.js";
import { normaliseReference } from "./search-index.js";
import { normaliseString } from "./search-strings.js";

export { dateRange } from "./search-dates.js";

/** Page size limits. */
export interface PagingLimits {
  defaultCount: number;
  maxCount: number;
}

/** An `_include` or `_revinclude`: resources of `source` whose reference parameter `param` points at `target`. */
export interface IncludeSpec {
  source: string;
  param: string;
  /** Only references to this type. */
  target?: string;
  iterate: boolean;
}

/** A parsed search plus the parameters it used (for the self and next links) and those it ignored. */
export interface ParsedSearch {
  request: SearchRequest;
  /** The parameters that took effect, as sent: the self and next links repeat them. */
  used: [string, string][];
  /** One warning per parameter left out (reported in an OperationOutcome entry). */
  ignored: FhirIssue[];
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  /** `_elements`: the top-level elements to return. */
  elements?: string[];
  /** `_summary=count` (total only) or `data` (no narrative). */
  summary?: "count" | "data";
}

const PREFIXES: readonly DatePrefix[] = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"];
const SORTS: Record<string, SearchSort> = {
  _id: "id",
  "-_id": "-id",
  _lastUpdated: "lastUpdated",
  "-_lastUpdated": "-lastUpdated",
};
/** Parameters that change nothing about the result: accepted silently (`_format` is checked by the routes). */
const NEUTRAL = new Set(["_format", "_pretty", "_total"]);

/** Splits a parameter value at unescaped `sep` and removes the escapes (`\,` `\|` `\$` `\\`). */
export function splitEscaped(raw: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === "\\" && i + 1 < raw.length) {
      const next = raw[i + 1] as string;
      cur += next === "," || next === "|" || next === "$" || next === "\\" ? next : ch + next;
      if (next === "," || next === "|" || next === "$" || next === "\\") i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * Most parameters one search (or history request) may carry, in the query and a POSTed form together: a
 * real search has a handful, and each criterion becomes part of one SQL statement (SQLite refuses an
 * expression deeper than 1,000). More is a 400, checked before the parameters are even split out.
 */
export const MAX_PARAMETERS = 100;

/** Most values (comma-separated alternatives and reference targets) all of a search's criteria may hold together. */
export const MAX_TOTAL_VALUES = 300;

/** 400 when a search carries more than {@link MAX_PARAMETERS} parameters. */
export function assertParameterCount(count: number): void {
  if (count > MAX_PARAMETERS) {
    throw badRequest(`A search takes at most ${MAX_PARAMETERS} parameters; this one has more`);
  }
}

/** Most comma-separated values one parameter may OR (each is a bound parameter; D1 allows 100 a statement). */
export const MAX_VALUES = 30;

/** The comma-separated alternatives of a value, with `|` still escaped (token values split on it next). */
function alternatives(raw: string, key: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === "\\" && raw[i + 1] === ",") {
      cur += ",";
      i++;
    } else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  if (out.length > MAX_VALUES) throw badRequest(`${key} takes at most ${MAX_VALUES} comma-separated values`, [key]);
  return out;
}

function dateValues(key: string, raw: string, now: Date): DateValue[] {
  return alternatives(raw, key).map((part) => {
    const head = part.slice(0, 2);
    const prefix = (PREFIXES as readonly string[]).includes(head) ? (head as DatePrefix) : "eq";
    const text = part.slice(prefix === head ? 2 : 0);
    const range = dateRange(text);
    if (!range) throw badRequest(`${key} must be a FHIR date, dateTime or instant with an optional prefix`, [key]);
    return { prefix, ...searchRange(prefix === "ap" ? approximately(range, now) : range) };
  });
}

function tokenValues(key: string, raw: string): { system?: string; value?: string }[] {
  return alternatives(raw, key).map((part) => {
    const pieces = splitEscaped(part, "|");
    if (pieces.length === 1) {
      if (!pieces[0]) throw badRequest(`Empty value for ${key}`, [key]);
      return { value: pieces[0] };
    }
    if (pieces.length > 2) throw badRequest(`${key} takes system|code, |code, code or system|`, [key]);
    const [system = "", value = ""] = pieces;
    if (!system && !value) throw badRequest(`Empty value for ${key}`, [key]);
    return { system, ...(value ? { value } : {}) };
  });
}

function referenceTargets(key: string, raw: string, def: SearchParamDef, typeModifier?: string): string[] {
  const bareTargets = typeModifier
    ? [typeModifier]
    : (def.targets ?? RESOURCE_TYPES).filter((t) => RESOURCE_TYPES.includes(t));
  const targets = alternatives(raw, key).flatMap((part) => {
    if (/^[A-Za-z0-9\-.]{1,64}$/.test(part)) return bareTargets.map((t) => `${t}/${part}`);
    const normal = normaliseReference(part);
    if (normal && (!typeModifier || normal.startsWith(`${typeModifier}/`))) return [normal];
    throw badRequest(`${key} must be a reference: Type/id, an absolute URL or an id`, [key]);
  });
  if (targets.length > 60) throw badRequest(`${key} names too many references; give Type/id or fewer ids`, [key]);
  return targets;
}

function stringValues(key: string, raw: string, exact: boolean): string[] {
  return alternatives(raw, key).map((part) => {
    const v = exact ? part : normaliseString(part);
    if (!v) throw badRequest(`Empty value for ${key}`, [key]);
    return v;
  });
}

function parseInteger(name: string, raw: string, min: number): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min)
    throw badRequest(`${name} must be an integer of at least ${min}`, [name]);
  return Number(raw);
}

const INDEX_OF = { string: "string", token: "token", uri: "token", date: "date", reference: "reference" } as const;

/** Modifiers each parameter type supports (besides `missing`, which all have). */
const MODIFIERS: Record<SearchParamDef["type"], string[]> = {
  string: ["exact", "contains"],
  token: ["not"],
  uri: [],
  date: [],
  reference: [],
};

/**
 * The criterion matching references to any of `targets` through `def`; a parameter answered by a wider
 * one's rows (`indexedAs`) keeps only the targets of its own types.
 */
export function referenceCriterion(def: SearchParamDef, targets: string[]): SearchCriterion {
  if (!def.indexedAs) return { kind: "reference", param: def.name, targets };
  const own = def.targets;
  return {
    kind: "reference",
    param: def.indexedAs,
    targets: own ? targets.filter((t) => own.includes(t.slice(0, t.indexOf("/")))) : targets,
  };
}

/** The criterion for one parameter of the type's table. */
function paramCriterion(key: string, def: SearchParamDef, modifier: string | undefined, raw: string, now: Date) {
  if (modifier === "missing") {
    if (raw !== "true" && raw !== "false") throw badRequest(`${key} takes true or false`, [key]);
    return {
      kind: "missing",
      param: def.indexedAs ?? def.name,
      index: INDEX_OF[def.type],
      missing: raw === "true",
      ...(def.indexedAs && def.targets ? { targetTypes: def.targets } : {}),
    } as const;
  }
  const typeModifier = def.type === "reference" && modifier && isSupportedType(modifier) ? modifier : undefined;
  if (modifier !== undefined && !typeModifier && !MODIFIERS[def.type].includes(modifier)) {
    throw badRequest(`The modifier ':${modifier}' is not supported on ${def.name} (a ${def.type} parameter)`, [key]);
  }
  switch (def.type) {
    case "string": {
      const match = modifier === "exact" ? "exact" : modifier === "contains" ? "contains" : "prefix";
      return { kind: "string", param: def.name, values: stringValues(key, raw, match === "exact"), match } as const;
    }
    case "token":
    case "uri":
      return {
        kind: "token",
        param: def.name,
        values: def.type === "uri" ? alternatives(raw, key).map((value) => ({ value })) : tokenValues(key, raw),
        ...(modifier === "not" ? { not: true } : {}),
      } as const;
    case "date":
      return { kind: "date", param: def.name, values: dateValues(key, raw, now) } as const;
    case "reference":
      return referenceCriterion(def, referenceTargets(key, raw, def, typeModifier));
  }
}

/** Parses `Source:param[:Target]`; undefined when it names nothing this server can follow. */
function includeSpec(raw: string, iterate: boolean): IncludeSpec | undefined {
  const [source = "", param = "", target, ...rest] = raw.split(":");
  if (rest.length > 0 || !isSupportedType(source)) return undefined;
  const def = searchParam(source, param);
  if (def?.type !== "reference") return undefined;
  if (target !== undefined && (!isSupportedType(target) || def.targets?.includes(target) === false)) return undefined;
  return { source, param, ...(target ? { target } : {}), iterate };
}

const warning = (key: string, diagnostics: string): FhirIssue => ({
  severity: "warning",
  code: "not-supported",
  diagnostics,
  expression: [key],
});

/**
 * Parses the search parameters for `resourceType`. With `strict` (`Prefer: handling=strict`), a
 * parameter the server would leave out is a 400 instead of a warning.
 */
export function parseSearch(
  resourceType: string,
  params: [string, string][],
  limits: PagingLimits,
  strict: boolean,
  now: Date = new Date(),
): ParsedSearch {
  const criteria: SearchCriterion[] = [];
  const used: [string, string][] = [];
  const ignored: FhirIssue[] = [];
  const include: IncludeSpec[] = [];
  const revinclude: IncludeSpec[] = [];
  let elements: string[] | undefined;
  let summary: ParsedSearch["summary"];
  let count = limits.defaultCount;
  let sort: SearchSort = "id";
  let cursor: string | undefined;
  const ignore = (key: string, diagnostics: string) => {
    if (strict) throw badRequest(diagnostics, [key]);
    ignored.push(warning(key, diagnostics));
  };

  assertParameterCount(params.length);
  for (const [key, value] of params) {
    const colon = key.indexOf(":");
    const name = colon < 0 ? key : key.slice(0, colon);
    const modifier = colon < 0 ? undefined : key.slice(colon + 1);
    if (NEUTRAL.has(name) && modifier === undefined) continue;
    switch (name) {
      case "_count":
        count = Math.min(parseInteger(name, value, 0), limits.maxCount);
        continue;
      case "_cursor":
        cursor = value;
        continue;
      case "_sort": {
        const s = SORTS[value];
        if (!s) ignore(key, "_sort supports _id, -_id, _lastUpdated and -_lastUpdated; the order was left as _id");
        else {
          sort = s;
          used.push([key, value]);
        }
        continue;
      }
      case "_summary":
        if (value === "count" || value === "data") summary = value;
        else if (value !== "false") {
          ignore(
            key,
            `_summary=${value.slice(0, 20)} is not supported (count, data and false are); full resources returned`,
          );
          continue;
        }
        used.push([key, value]);
        continue;
      case "_elements":
        elements = value.split(",").map((e) => e.trim());
        if (elements.some((e) => !/^[a-z][A-Za-z0-9]{0,63}$/.test(e)))
          throw badRequest("_elements takes a comma-separated list of top-level element names", [key]);
        used.push([key, value]);
        continue;
      case "_include":
      case "_revinclude": {
        if (modifier !== undefined && modifier !== "iterate") {
          throw badRequest(`The modifier ':${modifier}' is not supported on ${name}`, [key]);
        }
        const spec = includeSpec(value, modifier === "iterate");
        const wrongSource = name === "_include" && spec && !spec.iterate && spec.source !== resourceType;
        const targets = spec ? searchParam(spec.source, spec.param)?.targets : undefined;
        const wrongTarget =
          name === "_revinclude" &&
          spec &&
          !spec.iterate &&
          ((spec.target && spec.target !== resourceType) || (targets && !targets.includes(resourceType)));
        if (!spec || wrongSource || wrongTarget) {
          ignore(
            key,
            `This ${name} names no reference parameter this server can follow from here (Type:param[:Target])`,
          );
        } else {
          (name === "_include" ? include : revinclude).push(spec);
          used.push([key, value]);
        }
        continue;
      }
      case "_id":
        if (modifier !== undefined) throw badRequest(`The modifier ':${modifier}' is not supported on _id`, [key]);
        criteria.push({ kind: "id", values: alternatives(value, key) });
        used.push([key, value]);
        continue;
      case "_lastUpdated":
        if (modifier !== undefined)
          throw badRequest(`The modifier ':${modifier}' is not supported on _lastUpdated`, [key]);
        criteria.push({ kind: "date", param: "_lastUpdated", values: dateValues(key, value, now) });
        used.push([key, value]);
        continue;
    }
    const def = SEARCH_PARAMS[resourceType]?.find((d) => d.name === name);
    if (!def) {
      ignore(key, `Unknown search parameter '${name.slice(0, 64)}' for ${resourceType}; it was not applied`);
      continue;
    }
    criteria.push(paramCriterion(key, def, modifier, value, now));
    used.push([key, value]);
  }
  const values = criteria.reduce(
    (n, c) => n + ("values" in c ? c.values.length : "targets" in c ? c.targets.length : 1),
    0,
  );
  if (values > MAX_TOTAL_VALUES) {
    throw badRequest(`A search may match at most ${MAX_TOTAL_VALUES} values across all its parameters`);
  }
  const request: SearchRequest = { resourceType, criteria, count: summary === "count" ? 0 : count, sort };
  if (cursor !== undefined) request.after = decodeCursor(cursor, sort);
  return {
    request,
    used,
    ignored,
    include,
    revinclude,
    ...(elements ? { elements } : {}),
    ...(summary ? { summary } : {}),
  };
}
