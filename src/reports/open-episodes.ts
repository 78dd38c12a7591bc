/**
 * The organisation's open CPA and treatment episodes, newest first, read a page at a time through the
 * search index (owner tag, episode type, status): never a scan of the store.
 */
import { RECORD_OWNER_SYSTEM } from "../auth/ownership.js";
import type { SearchCursor, Store } from "../store/port.js";
import { ADULT_EPISODE_TYPES, type AdultEpisodeType, EPISODE_TYPE_SYSTEM, OPEN_EPISODE_STATUSES } from "./codes.js";
import { codeIn, dayOf, type Json, resourceOf } from "./fhir-read.js";

/** One open episode with where it sits in the newest-first order. */
export interface OpenEpisode {
  episode: Json & { id: string };
  type: AdultEpisodeType;
  /** Its place in the order: resume after it to continue. */
  cursor: SearchCursor;
}

/** Episodes read from the store per query. */
export const EPISODE_BATCH = 50;

/**
 * True when an episode is open on `today` (`YYYY-MM-DD`): status `active` or `onhold`, and no
 * `period.end` before today (an episode ending today is still open today).
 */
export function isOpen(episode: Json, today: string): boolean {
  if (!(OPEN_EPISODE_STATUSES as readonly string[]).includes(episode.status as string)) return false;
  const end = dayOf((episode.period as { end?: unknown } | undefined)?.end);
  return end === undefined || end >= today;
}

/** The adult episode type of an EpisodeOfCare (`episode-type` coding), if it is one the reports cover. */
export function adultEpisodeType(episode: Json): AdultEpisodeType | undefined {
  const code = codeIn(episode.type, EPISODE_TYPE_SYSTEM);
  return (ADULT_EPISODE_TYPES as readonly string[]).includes(code ?? "") ? (code as AdultEpisodeType) : undefined;
}

/** Token values for an organisation code as owner tags carry it (as sent, and upper case as ingest's codes are). */
const ownerValues = (org: string) =>
  [...new Set([org, org.toUpperCase()])].map((value) => ({ system: RECORD_OWNER_SYSTEM, value }));

/**
 * Batches of the open CPA and treatment episodes owned by `org`, newest first (`meta.lastUpdated`
 * descending, ties by id descending), starting after `after`. Each batch is one indexed search; closed
 * episodes the index still lists as active are skipped, but `scanned` still moves past them.
 */
export async function* openEpisodeBatches(
  store: Store,
  org: string,
  today: string,
  after?: SearchCursor,
): AsyncGenerator<{ episodes: OpenEpisode[]; scanned: SearchCursor }> {
  let cursor = after;
  for (;;) {
    const page = await store.search({
      resourceType: "EpisodeOfCare",
      criteria: [
        { kind: "token", param: "_tag", values: ownerValues(org) },
        {
          kind: "token",
          param: "type",
          values: ADULT_EPISODE_TYPES.map((value) => ({ system: EPISODE_TYPE_SYSTEM, value })),
        },
        { kind: "token", param: "status", values: OPEN_EPISODE_STATUSES.map((value) => ({ value })) },
      ],
      count: EPISODE_BATCH,
      sort: "-lastUpdated",
      ...(cursor ? { after: cursor } : {}),
    });
    const episodes: OpenEpisode[] = [];
    for (const v of page.versions) {
      const episode = resourceOf(v);
      const type = episode && adultEpisodeType(episode);
      if (episode && type && isOpen(episode, today)) {
        episodes.push({ episode: episode as Json & { id: string }, type, cursor: { key: v.lastUpdated, id: v.id } });
      }
    }
    const last = page.versions.at(-1);
    if (last) cursor = { key: last.lastUpdated, id: last.id };
    if (last && cursor) yield { episodes, scanned: cursor };
    if (!page.more || !last) return;
  }
}
