/**
 * Parses FHIR search parameters (http://hl7.org/fhir/R4/search.html) into a store SearchRequest.
 * Supports `_id`, `_lastUpdated`, `_count`, `_offset`, `_sort`, and each type's token and
 * reference parameters. Unknown parameters are ignored (and left out of the self link) unless the
 * client sends `Prefer: handling=strict`; unsupported modifiers are always an error.
 */
import type { SearchCriterion, SearchRequest } from "../store/port.js";
import { badRequest } from "./errors.js";
import { SEARCH_PARAMS } from "./resource-types.js";
import { normaliseReference } from "./search-index.js";

/** Page size limits. */
export interface PagingLimits {
  defaultCount: number;
  maxCount: number;
}

/** A parsed search plus the parameters it used (for the self and next links). */
export interface ParsedSearch {
  request: SearchRequest;
  used: [string, string][];
}

const PREFIXES = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"] as const;

/**
 * Turns a FHIR date/dateTime/instant of any precision into the half-open range [start, end) it
 * denotes, as ISO instants. Returns undefined when it is not a valid FHIR date.
 */
export function dateRange(text: string): { start: string; end: string } | undefined {
  const m =
    /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/.exec(
      text,
    );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  const calendarDay = new Date(Date.UTC(year, month, day));
  if (calendarDay.getUTCMonth() !== month || calendarDay.getUTCDate() !== day) return undefined;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59))) return undefined;
  let start: number;
  let end: number;
  if (h !== undefined) {
    const sign = tz?.startsWith("-") ? -1 : 1;
    const offsetMin = !tz || tz === "Z" ? 0 : sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6)));
    const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
    start = Date.UTC(year, month, day, Number(h), Number(mi), s ? Number(s) : 0, ms) - offsetMin * 60_000;
    end = start + (frac ? 1 : s !== undefined ? 1000 : 60_000);
  } else if (d) {
    start = Date.UTC(year, month, day);
    end = Date.UTC(year, month, day + 1);
  } else if (mo) {
    start = Date.UTC(year, month, 1);
    end = Date.UTC(year, month + 1, 1);
  } else {
    start = Date.UTC(year, 0, 1);
    end = Date.UTC(year + 1, 0, 1);
  }
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

function lastUpdatedCriteria(raw: string): SearchCriterion[] {
  const prefix = PREFIXES.find((p) => raw.startsWith(p)) ?? "eq";
  const text = raw.startsWith(prefix) ? raw.slice(prefix.length) : raw;
  const range = dateRange(text);
  if (!range)
    throw badRequest("_lastUpdated must be a FHIR date, dateTime or instant with an optional prefix", ["_lastUpdated"]);
  switch (prefix) {
    case "eq":
      return [
        { kind: "lastUpdated", comparator: "ge", value: range.start },
        { kind: "lastUpdated", comparator: "lt", value: range.end },
      ];
    case "gt":
    case "sa":
      return [{ kind: "lastUpdated", comparator: "ge", value: range.end }];
    case "ge":
      return [{ kind: "lastUpdated", comparator: "ge", value: range.start }];
    case "lt":
    case "eb":
      return [{ kind: "lastUpdated", comparator: "lt", value: range.start }];
    case "le":
      return [{ kind: "lastUpdated", comparator: "lt", value: range.end }];
    default:
      throw badRequest(`The _lastUpdated prefix '${prefix}' is not supported`, ["_lastUpdated"]);
  }
}

function tokenValues(param: string, raw: string): { system?: string; value?: string }[] {
  return raw.split(",").map((part) => {
    const bar = part.indexOf("|");
    if (bar < 0) {
      if (!part) throw badRequest(`Empty value for ${param}`, [param]);
      return { value: part };
    }
    const system = part.slice(0, bar);
    const value = part.slice(bar + 1);
    if (!system && !value) throw badRequest(`Empty value for ${param}`, [param]);
    return { system, ...(value ? { value } : {}) };
  });
}

function referenceTargets(param: string, raw: string, targets: string[] | undefined): string[] {
  return raw.split(",").flatMap((part) => {
    const normal = normaliseReference(part);
    if (normal) return [normal];
    if (/^[A-Za-z0-9\-.]{1,64}$/.test(part) && targets && targets.length > 0) return targets.map((t) => `${t}/${part}`);
    throw badRequest(`${param} must be a reference Type/id${targets?.length ? " or an id" : ""}`, [param]);
  });
}

function parseInteger(name: string, raw: string, min: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    throw badRequest(`${name} must be an integer of at least ${min}`, [name]);
  return Number(raw);
}

/** Parses the search parameters for `resourceType`. */
export function parseSearch(
  resourceType: string,
  params: [string, string][],
  limits: PagingLimits,
  strict: boolean,
): ParsedSearch {
  const defs = SEARCH_PARAMS[resourceType] ?? [];
  const criteria: SearchCriterion[] = [];
  const used: [string, string][] = [];
  let count = limits.defaultCount;
  let offset = 0;
  let sort: SearchRequest["sort"] = "lastUpdated";
  for (const [key, value] of params) {
    const [name = "", modifier] = key.split(":");
    if (modifier !== undefined) throw badRequest(`The modifier ':${modifier}' is not supported`, [key]);
    if (name === "_count") {
      count = Math.min(parseInteger(name, value, 0), limits.maxCount);
      continue;
    }
    if (name === "_offset") {
      offset = parseInteger(name, value, 0);
      continue;
    }
    if (name === "_sort") {
      if (value !== "_lastUpdated" && value !== "-_lastUpdated") {
        throw badRequest("_sort supports _lastUpdated and -_lastUpdated", [name]);
      }
      sort = value === "_lastUpdated" ? "lastUpdated" : "-lastUpdated";
      used.push([key, value]);
      continue;
    }
    if (name === "_format") continue;
    if (name === "_id") {
      criteria.push({ kind: "id", values: value.split(",") });
    } else if (name === "_lastUpdated") {
      criteria.push(...lastUpdatedCriteria(value));
    } else {
      const def = defs.find((d) => d.name === name);
      if (!def) {
        if (strict) throw badRequest(`Unknown search parameter '${name}' for ${resourceType}`, [name]);
        continue;
      }
      if (def.type === "token") criteria.push({ kind: "token", param: name, values: tokenValues(name, value) });
      else {
        const targets = referenceTargets(name, value, def.targets);
        criteria.push({ kind: "reference", param: def.indexedAs ?? name, targets });
      }
    }
    used.push([key, value]);
  }
  return { request: { resourceType, criteria, count, offset, sort }, used };
}
