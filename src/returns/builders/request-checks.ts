/** Checks every builder makes of a request: a sound period, the scope fields it needs, a key when it pseudonymises. */
import { badRequest } from "../../fhir/errors.js";
import type { PseudonymKey, ReturnBuildContext, ReturnKind, ReturnPeriod, ReturnRequest } from "../port.js";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** 400 unless `period` is two real days, start ≤ end. */
export function checkPeriod(period: ReturnPeriod | undefined): ReturnPeriod {
  const ok = (d: unknown) =>
    typeof d === "string" && DAY.test(d) && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;
  if (!period || !ok(period.start) || !ok(period.end)) {
    throw badRequest("period.start and period.end must be days (YYYY-MM-DD)", ["period"]);
  }
  if (period.start > period.end) throw badRequest("period.start must not be after period.end", ["period"]);
  return period;
}

/** The scope code `field` (an organisation or LA code), 400 when absent or not a plain code. */
export function requireCode(request: ReturnRequest, field: "org" | "la"): string {
  const v = request.scope?.[field];
  if (typeof v !== "string" || !/^[A-Za-z0-9]{1,12}$/.test(v)) {
    throw badRequest(`scope.${field} is required for a ${request.kind} return`, [`scope.${field}`]);
  }
  return v;
}

/** The pseudonym key of `kind`; 400 (the build is refused) when none is configured. */
export function requireKey(context: ReturnBuildContext, kind: ReturnKind): PseudonymKey {
  const key = context.keys.keyFor(kind);
  if (!key) throw badRequest(`No pseudonym key is configured for ${kind} returns`, ["keys"]);
  return key;
}

/** Throws the signal's reason when the build was cancelled. */
export function checkAborted(context: ReturnBuildContext): void {
  if (context.signal?.aborted) throw context.signal.reason ?? new Error("The return build was cancelled");
}

/** True when [start, end] (end open when undefined) meets [from, to] (all `YYYY-MM-DD`). */
export const overlaps = (start: string | undefined, end: string | undefined, from: string, to: string) =>
  (start === undefined || start <= to) && (end === undefined || end >= from);
