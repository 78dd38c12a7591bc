/** The parameters of a search or history request (query string, plus a POSTed form), counted before they are split out. */
import { assertParameterCount } from "../fhir/search-query.js";

/** Non-empty `&`-separated segments of a query string or form body: an upper bound on the pairs it decodes to. */
export function segmentCount(text: string): number {
  let count = 0;
  let empty = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 0x26) {
      if (!empty) count++;
      empty = true;
    } else empty = false;
  }
  return empty ? count : count + 1;
}

/**
 * The request's parameters as pairs: those of `url`'s query, then those of `form` (an
 * `application/x-www-form-urlencoded` body). More than `MAX_PARAMETERS` is a 400 before any is decoded,
 * so a 2-million-parameter body costs one scan, not 2 million pairs.
 */
export function requestParams(url: string, form?: string): [string, string][] {
  const parsed = new URL(url);
  assertParameterCount(segmentCount(parsed.search.slice(1)) + (form === undefined ? 0 : segmentCount(form)));
  const pairs = [...parsed.searchParams.entries()];
  return form === undefined ? pairs : [...pairs, ...new URLSearchParams(form).entries()];
}
