/** Report paging: the `_count` and `_cursor` parameters, and a page cut from a stream of scanned positions. */
import { badRequest } from "../fhir/errors.js";
import { decodeOpaque, encodeOpaque } from "../fhir/opaque-token.js";
import type { SearchCursor } from "../store/port.js";

/** Rows a page holds when `_count` is not given. */
export const DEFAULT_COUNT = 50;
/** Largest `_count`. */
export const MAX_COUNT = 500;
/**
 * Episodes one JSON page looks at, at most: a page of an organisation with few flagged patients stops
 * here (shorter than `_count`, with a `next` link) rather than reading every episode in one request.
 */
export const SCAN_LIMIT = 2000;

/** Parses `_count`: an integer 1–{@link MAX_COUNT}; 400 otherwise. */
export function parseCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1 || Number(text) > MAX_COUNT) {
    throw badRequest(`_count must be a whole number from 1 to ${MAX_COUNT}`, ["_count"]);
  }
  return Number(text);
}

/** Encodes where the next page of report `kind` starts. */
export const encodeReportCursor = (kind: string, c: SearchCursor) => encodeOpaque([kind, c.key, c.id]);

/** Decodes a `_cursor` this server issued for report `kind`; 400 otherwise. */
export function decodeReportCursor(text: string, kind: string): SearchCursor {
  const bad = () => badRequest("_cursor is not a cursor this server issued for this report", ["_cursor"]);
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) throw bad();
  const v = decodeOpaque(text);
  if (!Array.isArray(v) || v.length !== 3 || v[0] !== kind || typeof v[1] !== "string" || typeof v[2] !== "string") {
    throw bad();
  }
  if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v[1]) || !/^[A-Za-z0-9\-.]{1,64}$/.test(v[2])) throw bad();
  return { key: v[1], id: v[2] };
}

/** One page: its rows and, when more may follow, where the next starts. */
export interface ReportPage<T> {
  rows: T[];
  next?: SearchCursor;
}

/**
 * Cuts a page from a stream of scanned positions (`row` set for a position that is a row): up to `count`
 * rows, looking at no more than `scanLimit` positions. `next` is set unless the stream ended.
 */
export async function takePage<T>(
  steps: AsyncIterable<{ cursor: SearchCursor; row?: T }>,
  count: number,
  scanLimit = SCAN_LIMIT,
): Promise<ReportPage<T>> {
  const rows: T[] = [];
  let scanned = 0;
  let last: SearchCursor | undefined;
  for await (const step of steps) {
    if (step.row !== undefined) rows.push(step.row);
    last = step.cursor;
    scanned++;
    if (rows.length >= count || scanned >= scanLimit) return { rows, next: last };
  }
  return { rows };
}
