/**
 * The worklist (issue 9 scope 6): the organisation's open CPA and treatment episodes whose patient has an
 * active children flag (DOMAIN.md §3), newest first. A patient's flags are those on the episode's Patient
 * and on every other Patient record the person index links to the same Person.
 */
import type { SearchCursor, Store } from "../store/port.js";
import { CHILDREN_FLAG_CODES, FLAG_CODE_SYSTEM } from "./codes.js";
import { contextsOf, type EpisodeContext } from "./episode-context.js";
import { chunk, codeIn, dayOf, type Json, referenceOf } from "./fhir-read.js";
import { openEpisodeBatches } from "./open-episodes.js";
import { REFERENCES_PER_QUERY, searchAll } from "./search-all.js";

/** A flag as a worklist row shows it. */
export interface WorklistFlag {
  code: (typeof CHILDREN_FLAG_CODES)[number];
  /** `Flag/<id>`. */
  flag: string;
  /** The Patient record the flag is on (the episode's patient, or another record of the same person). */
  subject: string;
  start: string | null;
  end: string | null;
}

/** One worklist row: an open episode and the children flags of its patient. */
export interface WorklistRow extends EpisodeContext {
  flags: WorklistFlag[];
}

/** Every Patient record of the same person as each of `patients` (itself included), via Person.link. */
async function samePerson(store: Store, patients: readonly string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>(patients.map((p) => [p, new Set([p])]));
  for (const part of chunk(patients, REFERENCES_PER_QUERY)) {
    for (const person of await searchAll(store, "Person", [{ kind: "reference", param: "link", targets: part }])) {
      const linked = (Array.isArray(person.link) ? (person.link as { target?: unknown }[]) : [])
        .map((l) => referenceOf(l.target))
        .filter((t): t is string => t?.startsWith("Patient/") ?? false);
      for (const p of linked) for (const q of linked) out.get(p)?.add(q);
    }
  }
  return out;
}

/** True when a flag is a current children flag on `today`: active, of the project's code, not ended before today. */
export function currentChildrenFlag(flag: Json, today: string): WorklistFlag["code"] | undefined {
  if (flag.status !== "active") return undefined;
  const code = codeIn(flag.code, FLAG_CODE_SYSTEM);
  if (!(CHILDREN_FLAG_CODES as readonly string[]).includes(code ?? "")) return undefined;
  const end = dayOf((flag.period as { end?: unknown } | undefined)?.end);
  return end !== undefined && end < today ? undefined : (code as WorklistFlag["code"]);
}

/** The current children flags on each of `patients` (or another record of the same person). */
async function flagsOf(store: Store, patients: readonly string[], today: string): Promise<Map<string, WorklistFlag[]>> {
  const records = await samePerson(store, patients);
  const all = [...new Set([...records.values()].flatMap((s) => [...s]))];
  const bySubject = new Map<string, WorklistFlag[]>();
  for (const part of chunk(all, REFERENCES_PER_QUERY)) {
    for (const flag of await searchAll(store, "Flag", [{ kind: "reference", param: "subject", targets: part }])) {
      const code = currentChildrenFlag(flag, today);
      const subject = referenceOf(flag.subject);
      if (!code || !subject) continue;
      const period = (flag.period ?? {}) as { start?: unknown; end?: unknown };
      bySubject.set(subject, [
        ...(bySubject.get(subject) ?? []),
        {
          code,
          flag: `Flag/${flag.id as string}`,
          subject,
          start: dayOf(period.start) ?? null,
          end: dayOf(period.end) ?? null,
        },
      ]);
    }
  }
  const out = new Map<string, WorklistFlag[]>();
  for (const [patient, same] of records) {
    const flags = [...same].flatMap((p) => bySubject.get(p) ?? []);
    flags.sort((a, b) => (a.code === b.code ? a.flag.localeCompare(b.flag) : a.code.localeCompare(b.code)));
    out.set(patient, flags);
  }
  return out;
}

/**
 * Worklist rows of `org` on `today`, newest first, after `after`. Yields every scanned position (`row`
 * undefined for an episode whose patient has no current children flag) so a page can stop after
 * scanning enough and resume from where it stopped.
 */
export async function* worklistRows(
  store: Store,
  org: string,
  today: string,
  after?: SearchCursor,
): AsyncGenerator<{ cursor: SearchCursor; row?: WorklistRow }> {
  for await (const { episodes, scanned } of openEpisodeBatches(store, org, today, after)) {
    const contexts = await contextsOf(store, episodes);
    const flags = await flagsOf(store, [...new Set(contexts.map((c) => c.patient).filter((p) => p !== ""))], today);
    for (const [i, e] of episodes.entries()) {
      const context = contexts[i] as EpisodeContext;
      const own = flags.get(context.patient) ?? [];
      yield own.length > 0 ? { cursor: e.cursor, row: { ...context, flags: own } } : { cursor: e.cursor };
    }
    yield { cursor: scanned };
  }
}
