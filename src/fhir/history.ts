/**
 * Type and system history (http://hl7.org/fhir/R4/http.html#history): `_count`, `_since`, `_at` and an opaque
 * `_cursor` for keyset paging, and the history Bundle with DELETE entries that carry no resource.
 */
import type { Bundle, BundleEntry, BundleLink } from "fhir/r4";
import type { HistoryCursor, HistoryQuery, SearchPage, StoredVersion } from "../store/port.js";
import { etagOf } from "./bundles.js";
import { badRequest } from "./errors.js";
import { decodeOpaque, encodeOpaque } from "./opaque-token.js";
import type { PagingLimits } from "./search-query.js";
import { dateRange } from "./search-query.js";

/** A parsed history request and the parameters that took effect (repeated in the Bundle's links). */
export interface ParsedHistory {
  query: HistoryQuery;
  used: [string, string][];
  /** The first page's total, carried by the cursor: later pages skip the count. */
  knownTotal?: number;
}

/** Where paging continues: the first page's time bound and total, and the last entry returned. */
interface CursorState {
  until: string;
  total: number;
  after: HistoryCursor;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function encodeCursor(state: CursorState): string {
  const a = state.after;
  return encodeOpaque([state.until, state.total, a.lastUpdated, a.resourceType, a.id, a.versionId]);
}

function decodeCursor(text: string): CursorState {
  const bad = () => badRequest("_cursor is not one this server issued; start again from the first page", ["_cursor"]);
  const parsed = decodeOpaque(text);
  if (!Array.isArray(parsed) || parsed.length !== 6) throw bad();
  const [until, total, lastUpdated, resourceType, id, versionId] = parsed as unknown[];
  if (typeof until !== "string" || !INSTANT.test(until)) throw bad();
  if (
    typeof total !== "number" ||
    !Number.isInteger(total) ||
    total < 0 ||
    typeof lastUpdated !== "string" ||
    !INSTANT.test(lastUpdated) ||
    typeof resourceType !== "string" ||
    typeof id !== "string" ||
    typeof versionId !== "number" ||
    !Number.isInteger(versionId)
  ) {
    throw bad();
  }
  return { until, total, after: { lastUpdated, resourceType, id, versionId } };
}

/**
 * Parses the parameters of `GET [base]/_history` or `GET [base]/{type}/_history`. `now` bounds the first page so
 * every later page walks and counts the same set; unknown parameters are ignored (and left out of the links)
 * unless `strict`.
 */
export function parseHistory(
  resourceType: string | undefined,
  params: [string, string][],
  limits: PagingLimits,
  now: string,
  strict: boolean,
): ParsedHistory {
  const used: [string, string][] = [];
  const query: HistoryQuery = { count: limits.defaultCount, until: now };
  let knownTotal: number | undefined;
  if (resourceType !== undefined) query.resourceType = resourceType;
  for (const [name, value] of params) {
    if (name === "_count") {
      if (!/^\d+$/.test(value)) throw badRequest("_count must be a non-negative integer", [name]);
      query.count = Math.min(Number(value), limits.maxCount);
    } else if (name === "_since") {
      const range = dateRange(value);
      if (!range) throw badRequest("_since must be an instant, e.g. 2026-01-01T00:00:00Z", [name]);
      query.since = range.start;
      used.push([name, value]);
    } else if (name === "_at") {
      const range = dateRange(value);
      if (!range) throw badRequest("_at must be a FHIR date or dateTime", [name]);
      query.at = range;
      used.push([name, value]);
    } else if (name === "_cursor") {
      const state = decodeCursor(value);
      query.until = state.until;
      query.after = state.after;
      query.withoutTotal = true;
      knownTotal = state.total;
    } else if (name === "_format") {
      // JSON is the only format; _format=json needs no action.
    } else if (strict) {
      throw badRequest(`'${name.slice(0, 64)}' is not a history parameter (use _count, _since, _at)`, [name]);
    }
  }
  return { query, used, ...(knownTotal !== undefined ? { knownTotal } : {}) };
}

function entryOf(base: string, v: StoredVersion): BundleEntry {
  const created = v.versionId === 1 && !v.deleted;
  const entry: BundleEntry = {
    fullUrl: `${base}/${v.resourceType}/${v.id}`,
    request: {
      method: v.deleted ? "DELETE" : created ? "POST" : "PUT",
      url: created ? v.resourceType : `${v.resourceType}/${v.id}`,
    },
    response: {
      status: v.deleted ? "204" : created ? "201" : "200",
      etag: etagOf(v),
      lastModified: v.lastUpdated,
    },
  };
  if (v.resource) entry.resource = v.resource as unknown as BundleEntry["resource"];
  return entry;
}

/**
 * A history Bundle for a type (`type`) or the whole system (`type` undefined), newest first. Links: `self`, `first`
 * and, when the page is full, `next` with a cursor after its last entry (keyset paging: no `previous` or `last`).
 */
export function historyAcrossBundle(
  base: string,
  type: string | undefined,
  parsed: ParsedHistory,
  page: SearchPage,
  cursorParam: string | undefined,
): Bundle {
  const { query, used } = parsed;
  const url = (cursor?: string) => {
    const u = new URL(type ? `${base}/${type}/_history` : `${base}/_history`);
    for (const [k, v] of used) u.searchParams.append(k, v);
    u.searchParams.set("_count", String(query.count));
    if (cursor) u.searchParams.set("_cursor", cursor);
    return u.toString();
  };
  const links: BundleLink[] = [
    { relation: "self", url: url(cursorParam) },
    { relation: "first", url: url() },
  ];
  const last = page.versions.at(-1);
  if (last && page.versions.length === query.count) {
    const after = {
      lastUpdated: last.lastUpdated,
      resourceType: last.resourceType,
      id: last.id,
      versionId: last.versionId,
    };
    const until = query.until ?? last.lastUpdated;
    links.push({ relation: "next", url: url(encodeCursor({ until, total: page.total, after })) });
  }
  const bundle: Bundle = { resourceType: "Bundle", type: "history", total: page.total, link: links };
  if (page.versions.length > 0) bundle.entry = page.versions.map((v) => entryOf(base, v));
  return bundle;
}
