/** Who and where an episode is: its patient's local id, provider and team, read for a batch in a few queries. */
import type { Store } from "../store/port.js";
import type { AdultEpisodeType } from "./codes.js";
import { dayOf, type Json, referenceOf, resourceOf, splitReference } from "./fhir-read.js";
import type { OpenEpisode } from "./open-episodes.js";

const NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number";

/** What every report row says about an episode. */
export interface EpisodeContext {
  /** `EpisodeOfCare/<id>`. */
  episode: string;
  episodeType: AdultEpisodeType;
  /** The episode's own identifier value (CPA episode id, NDTMS episode id), if any. */
  episodeId: string | null;
  /** `period.start`, if known. */
  start: string | null;
  /** `Patient/<id>`. */
  patient: string;
  /** The patient's local identifier at the provider (never the NHS number), if any. */
  localId: string | null;
  /** The managing organisation's code (ODS code, NDTMS agency). */
  provider: string;
  /** The first team's local id (CareTeam identifier), or null when the episode names no team. */
  team: string | null;
  /** The first team's name, if the source gave one. */
  teamName: string | null;
}

const firstIdentifierValue = (r: Json | undefined, skip?: string): string | null => {
  const ids = Array.isArray(r?.identifier) ? (r.identifier as { system?: unknown; value?: unknown }[]) : [];
  const hit = ids.find((i) => typeof i.value === "string" && i.system !== skip);
  return (hit?.value as string | undefined) ?? null;
};

/** The provider code of an episode (`managingOrganization.identifier.value`). */
export function providerOf(episode: Json): string {
  const id = (episode.managingOrganization as { identifier?: { value?: unknown } } | undefined)?.identifier?.value;
  return typeof id === "string" ? id : "unknown";
}

/** The contexts of a batch of episodes, in the batch's order: one readMany for patients and one for teams. */
export async function contextsOf(store: Store, batch: readonly OpenEpisode[]): Promise<EpisodeContext[]> {
  const keyOf = (ref: string | undefined) => (ref ? splitReference(ref) : undefined);
  const teamRef = (e: Json) => referenceOf((Array.isArray(e.team) ? e.team : [])[0]);
  const keys = batch.flatMap(({ episode }) =>
    [keyOf(referenceOf(episode.patient)), keyOf(teamRef(episode))].filter((k) => k !== undefined),
  );
  const found = await store.readMany(keys);
  return batch.map(({ episode, type }) => {
    const patient = referenceOf(episode.patient) ?? "";
    const team = resourceOf(found.get(teamRef(episode) ?? ""));
    const teamId = teamRef(episode);
    return {
      episode: `EpisodeOfCare/${episode.id}`,
      episodeType: type,
      episodeId: firstIdentifierValue(episode),
      start: dayOf((episode.period as { start?: unknown } | undefined)?.start) ?? null,
      patient,
      localId: firstIdentifierValue(resourceOf(found.get(patient)), NHS_NUMBER_SYSTEM),
      provider: providerOf(episode),
      team: team ? (firstIdentifierValue(team) ?? teamId ?? null) : (teamId ?? null),
      teamName: typeof team?.name === "string" ? team.name : null,
    };
  });
}
