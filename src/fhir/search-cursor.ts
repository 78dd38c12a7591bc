/** The opaque `_cursor` of a `next` link: where the next page starts (keyset paging over sort key + id). */
import type { SearchCursor, SearchSort } from "../store/port.js";
import { badRequest } from "./errors.js";
import { decodeOpaque, encodeOpaque } from "./opaque-token.js";

/** Encodes a cursor for `sort` as base64url JSON. */
export function encodeCursor(sort: SearchSort, cursor: SearchCursor): string {
  return encodeOpaque([sort, cursor.key, cursor.id]);
}

/** Decodes a cursor made by {@link encodeCursor} for the same `sort`; 400 otherwise. */
export function decodeCursor(text: string, sort: SearchSort): SearchCursor {
  const bad = () => badRequest("_cursor is not a cursor this server issued for this sort order", ["_cursor"]);
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) throw bad();
  const parsed = decodeOpaque(text);
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== sort ||
    typeof parsed[1] !== "string" ||
    typeof parsed[2] !== "string"
  ) {
    throw bad();
  }
  return { key: parsed[1], id: parsed[2] };
}
