/**
 * The people a person lives with: the current TFG-Household Groups any of the person's Patient records is a current
 * member of, and their other current members (Patient records, grouped by person through the person index).
 */
import type { DerivedResource } from "../derive/port.js";
import type { Lookup } from "../households/lookup.js";
import { personKeys } from "./decide-record.js";

type Json = Record<string, unknown>;

const refOf = (v: unknown): string | undefined => {
  const r = (v as { reference?: unknown } | null)?.reference;
  return typeof r === "string" ? r : undefined;
};

/** True when a period (if any) has begun and not ended at `at` (a date-only bound covers its whole day). */
export function currentAt(period: unknown, at: string): boolean {
  const p = (period ?? {}) as { start?: unknown; end?: unknown };
  const day = at.slice(0, 10);
  if (typeof p.end === "string" && (p.end.length <= 10 ? p.end < day.slice(0, p.end.length) : p.end < at)) return false;
  if (typeof p.start === "string" && (p.start.length <= 10 ? p.start.slice(0, 10) > day : p.start > at)) return false;
  return true;
}

const currentMembers = (g: DerivedResource, at: string): string[] =>
  (Array.isArray(g.member) ? (g.member as Json[]) : [])
    .filter((m) => m.inactive !== true && currentAt(m.period, at))
    .map((m) => refOf(m.entity))
    .filter((r): r is string => r?.startsWith("Patient/") === true);

/** One other person in the household: their Patient records (the first is the one the Group names first). */
export interface Housemate {
  keys: string[];
  /** The Groups they share with the person. */
  groups: string[];
}

/** The person's current housemates (each person once, whichever of their records the Groups name). */
export async function housemates(lookup: Lookup, self: readonly string[], at: string): Promise<Housemate[]> {
  const groups = new Map<string, DerivedResource>();
  await lookup.prefetchReferencing("Group", "member", self);
  for (const key of self)
    for (const g of await lookup.byReference("Group", "member", key))
      if (currentMembers(g, at).includes(key)) groups.set(g.id, g);
  await lookup.prefetchReferencing(
    "Person",
    "link",
    [...groups.values()].flatMap((g) => currentMembers(g, at)),
  );
  const byPerson = new Map<string, Housemate>();
  const seen = new Set(self);
  for (const g of [...groups.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    for (const m of currentMembers(g, at)) {
      if (seen.has(m)) {
        for (const h of byPerson.values())
          if (h.keys.includes(m) && !h.groups.includes(`Group/${g.id}`)) h.groups.push(`Group/${g.id}`);
        continue;
      }
      const keys = await personKeys(lookup, m);
      for (const k of keys) seen.add(k);
      if (keys.some((k) => self.includes(k))) continue;
      byPerson.set(m, { keys: [m, ...keys.filter((k) => k !== m)], groups: [`Group/${g.id}`] });
    }
  }
  return [...byPerson.values()];
}
