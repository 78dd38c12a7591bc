/**
 * Parsing JSON text from a client with a bound on nesting: the depth is measured on the text, in one
 * linear pass without recursion, before `JSON.parse` runs, so no later recursive walk (validation,
 * reference rewriting, cloning, serialising) can overflow the stack on a hostile body.
 */
import { badRequest } from "./errors.js";

/**
 * Deepest nesting of objects and arrays accepted in a request body. A FHIR resource inside a transaction
 * Bundle is rarely deeper than 15 levels (nested extensions and Questionnaire items included); 100 leaves room.
 */
export const MAX_JSON_DEPTH = 100;

/** The character offset at which `text` nests deeper than `max` objects and arrays, or -1 when it never does. */
export function depthExceededAt(text: string, max: number = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > max) return i;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return -1;
}

/**
 * Parses a client's JSON body: a 400 naming `what` and the character where it fails when it is not JSON or
 * nests deeper than {@link MAX_JSON_DEPTH}. The parser's own message is never passed on (it can quote the body).
 */
export function parseClientJson(text: string, what = "The body", expression?: string[]): unknown {
  const deep = depthExceededAt(text);
  if (deep >= 0) {
    throw badRequest(
      `${what} nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays (at character ${deep})`,
      expression,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const pos = /position (\d+)/.exec(String((err as Error).message))?.[1];
    throw badRequest(`${what} is not valid JSON${pos ? ` (at character ${pos})` : ""}`, expression);
  }
}
