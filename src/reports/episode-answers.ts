/**
 * What was recorded about children with an episode: the parental status, whether pregnancy was asked and
 * whether the young-carer question has an answer. Read from the Observations of the episode's own source
 * record (the ingest Provenance that names the episode lists everything that record produced), else, for
 * an episode written without one, from the patient's Observations. Batched: a few indexed queries per batch.
 */
import type { Store } from "../store/port.js";
import {
  OBSERVATION_CODE_SYSTEM,
  PARENTAL_STATES,
  PARENTAL_STATUS_SYSTEM,
  type ParentalState,
  PREGNANCY_STATUS_SYSTEM,
} from "./codes.js";
import { chunk, codeIn, type Json, referenceOf, resourceOf, splitReference } from "./fhir-read.js";
import { REFERENCES_PER_QUERY, searchAll } from "./search-all.js";

/** The answers found for one episode. */
export interface EpisodeAnswers {
  /** The recorded state; `not-recorded` also when nothing was found (`parentalStatusSource` `absent`). */
  parentalStatus: ParentalState;
  /** `observation`: a parental status Observation says so; `absent`: no parental status Observation at all. */
  parentalStatusSource: "observation" | "absent";
  /** The parental status Observation carries a pregnancy answer (`pregnancy-status` component). */
  pregnancyAsked: boolean;
  /** A young-carer Observation with an answer exists in the record (about the patient or a child it lists). */
  youngCarerAsked: boolean;
}

const INGEST_SOURCE = "urn:tfg:source:";

const observationCode = (obs: Json) => codeIn(obs.code, OBSERVATION_CODE_SYSTEM);

/** The latest of several parental status Observations (by effective date, then id), so the choice is stable. */
function latest(observations: Json[]): Json | undefined {
  return [...observations].sort((a, b) => {
    const da = typeof a.effectiveDateTime === "string" ? a.effectiveDateTime : "";
    const db = typeof b.effectiveDateTime === "string" ? b.effectiveDateTime : "";
    return da === db ? String(b.id).localeCompare(String(a.id)) : db.localeCompare(da);
  })[0];
}

/** The parental state an Observation records (`not-recorded` when it has no state coding). */
export function parentalStateOf(obs: Json | undefined): ParentalState {
  const code = obs ? codeIn(obs.valueCodeableConcept, PARENTAL_STATUS_SYSTEM) : undefined;
  return (PARENTAL_STATES as readonly string[]).includes(code ?? "") ? (code as ParentalState) : "not-recorded";
}

/** True when a parental status Observation carries a pregnancy answer. */
export function pregnancyAnswered(obs: Json | undefined): boolean {
  const components = Array.isArray(obs?.component) ? (obs.component as Json[]) : [];
  return components.some(
    (c) =>
      codeIn(c.code, OBSERVATION_CODE_SYSTEM) === "pregnancy-status" &&
      codeIn(c.valueCodeableConcept, PREGNANCY_STATUS_SYSTEM) !== undefined,
  );
}

/** Derives the answers from the Observations belonging to one episode. */
export function answersFrom(observations: Json[]): EpisodeAnswers {
  const parental = latest(observations.filter((o) => observationCode(o) === "parental-status"));
  return {
    parentalStatus: parentalStateOf(parental),
    parentalStatusSource: parental ? "observation" : "absent",
    pregnancyAsked: pregnancyAnswered(parental),
    youngCarerAsked: observations.some(
      (o) => observationCode(o) === "young-carer" && typeof o.valueBoolean === "boolean",
    ),
  };
}

/** The answers for each episode of a batch, keyed by episode id. */
export async function answersForEpisodes(
  store: Store,
  episodes: readonly Json[],
): Promise<Map<string, EpisodeAnswers>> {
  const refs = episodes.map((e) => `EpisodeOfCare/${e.id as string}`);
  // 1. The ingest Provenance of each episode's source record lists every resource that record produced.
  const observationIds = new Map<string, Set<string>>();
  for (const part of chunk(refs, REFERENCES_PER_QUERY)) {
    for (const prov of await searchAll(store, "Provenance", [{ kind: "reference", param: "target", targets: part }])) {
      const source = (prov.meta as { source?: unknown } | undefined)?.source;
      if (typeof source !== "string" || !source.startsWith(INGEST_SOURCE)) continue;
      const targets = (Array.isArray(prov.target) ? prov.target : []).map(referenceOf);
      const observations = targets.filter((t): t is string => t?.startsWith("Observation/") ?? false);
      for (const t of targets) {
        if (!t || !part.includes(t)) continue;
        const set = observationIds.get(t) ?? new Set<string>();
        for (const o of observations) set.add(o.slice("Observation/".length));
        observationIds.set(t, set);
      }
    }
  }
  const wanted = [...new Set([...observationIds.values()].flatMap((s) => [...s]))];
  const found = await store.readMany(wanted.map((id) => ({ resourceType: "Observation", id })));
  const byEpisode = new Map<string, Json[]>();
  for (const [ref, ids] of observationIds) {
    byEpisode.set(
      ref,
      [...ids].map((id) => resourceOf(found.get(`Observation/${id}`))).filter((o): o is Json => o !== undefined),
    );
  }
  // 2. An episode no ingest record names (written over REST): the patient's own Observations of those codes.
  const orphans = episodes.filter((e) => !observationIds.has(`EpisodeOfCare/${e.id as string}`));
  const patients = [
    ...new Set(orphans.map((e) => referenceOf(e.patient)).filter((p): p is string => !!p && !!splitReference(p))),
  ];
  const bySubject = new Map<string, Json[]>();
  for (const part of chunk(patients, REFERENCES_PER_QUERY)) {
    const observations = await searchAll(store, "Observation", [
      { kind: "reference", param: "subject", targets: part },
      {
        kind: "token",
        param: "code",
        values: ["parental-status", "young-carer"].map((value) => ({ system: OBSERVATION_CODE_SYSTEM, value })),
      },
    ]);
    for (const o of observations) {
      const subject = referenceOf(o.subject);
      if (subject) bySubject.set(subject, [...(bySubject.get(subject) ?? []), o]);
    }
  }
  const out = new Map<string, EpisodeAnswers>();
  for (const e of episodes) {
    const ref = `EpisodeOfCare/${e.id as string}`;
    const own = byEpisode.get(ref) ?? bySubject.get(referenceOf(e.patient) ?? "") ?? [];
    out.set(e.id as string, answersFrom(own));
  }
  return out;
}
