/**
 * Spans: the time a condition holds per the data (a plan's period, a membership, a childhood), and
 * their intersection. An end is `recorded` (the data says it ended) or `computed` (an 18th birthday,
 * which has passed only once a date in the data is on or after it).
 */
import { earliest } from "./dates.js";

/** When a condition holds: from `start` (undefined = not known) until `end` (exclusive; undefined = open). */
export interface Span {
  start?: string;
  end?: string;
  /** The data says the condition ended (an end date, a finished status, an inactive membership), dated or not. */
  closed: boolean;
  /** The end is a date the rules computed (an 18th birthday), not one recorded. */
  computedEnd?: boolean;
}

/** Always, as far as the data says (an adult of unknown birth date, say). */
export const ALWAYS: Span = { closed: false };

/** The time both spans hold, or undefined when they do not overlap. */
export function intersect(a: Span, b: Span): Span | undefined {
  const start =
    a.start === undefined ? b.start : b.start === undefined ? a.start : a.start > b.start ? a.start : b.start;
  const end = earliest([a.end, b.end]);
  if (start !== undefined && end !== undefined && end < start) return undefined;
  const computedEnd =
    end !== undefined &&
    (a.end === end ? a.computedEnd === true : true) &&
    (b.end === end ? b.computedEnd === true : true);
  const out: Span = { closed: a.closed || b.closed };
  if (start !== undefined) out.start = start;
  if (end !== undefined) out.end = end;
  if (computedEnd) out.computedEnd = true;
  return out;
}

/** The intersection of every span, or undefined when one of them does not overlap the rest. */
export function intersectAll(spans: readonly Span[]): Span | undefined {
  let acc: Span | undefined = ALWAYS;
  for (const s of spans) {
    if (!acc) return undefined;
    acc = intersect(acc, s);
  }
  return acc;
}

/** True when the condition has ended per the data: closed, or a computed end on or before `asOf`. */
export function ended(span: Span, asOf: string | undefined): boolean {
  if (span.closed) return true;
  return span.computedEnd === true && span.end !== undefined && asOf !== undefined && span.end <= asOf;
}
