/**
 * The completeness report (issue 9 scope 6): per provider, team and episode type, the share of open CPA and
 * treatment episodes whose parental status is recorded, whose young-carer question has an answer and whose
 * pregnancy question was asked; and every open episode whose parental status is `not-recorded`.
 */
import type { SearchCursor, Store } from "../store/port.js";
import type { AdultEpisodeType, ParentalState } from "./codes.js";
import { answersForEpisodes } from "./episode-answers.js";
import { contextsOf, type EpisodeContext } from "./episode-context.js";
import { openEpisodeBatches } from "./open-episodes.js";

/** A share: how many of how many, and the ratio (null when the denominator is 0). */
export interface Measure {
  numerator: number;
  denominator: number;
  share: number | null;
}

/** One line of the summary. */
export interface CompletenessGroup {
  provider: string;
  team: string | null;
  teamName: string | null;
  episodeType: AdultEpisodeType;
  /** Open episodes in the group. */
  episodes: number;
  parentalStatusRecorded: Measure;
  /** Null for treatment episodes: NDTMS carries no young-carer item. */
  youngCarerAsked: Measure | null;
  pregnancyAsked: Measure;
}

/** The summary: one group per provider, team and episode type (sorted), and the organisation's totals. */
export interface CompletenessSummary {
  groups: CompletenessGroup[];
  total: { episodes: number; parentalStatusRecorded: Measure; notRecorded: number };
}

/** One open episode whose parental status is `not-recorded`. */
export interface NotRecordedRow extends EpisodeContext {
  /** `not-recorded`: an Observation says so; `absent`: no parental status was sent at all. */
  parentalStatus: "not-recorded" | "absent";
}

const measure = (numerator: number, denominator: number): Measure => ({
  numerator,
  denominator,
  share: denominator === 0 ? null : Math.round((numerator / denominator) * 10000) / 10000,
});

/** True when the parental status counts as recorded (DOMAIN.md §2: absent or blank is `not-recorded`). */
export const isRecorded = (state: ParentalState) => state !== "not-recorded";

/** Open episodes with their context and answers, a batch at a time, newest first. */
async function* answeredBatches(store: Store, org: string, today: string, after?: SearchCursor) {
  for await (const { episodes, scanned } of openEpisodeBatches(store, org, today, after)) {
    const [contexts, answers] = await Promise.all([
      contextsOf(store, episodes),
      answersForEpisodes(
        store,
        episodes.map((e) => e.episode),
      ),
    ]);
    yield {
      scanned,
      rows: episodes.map((e, i) => ({
        cursor: e.cursor,
        context: contexts[i] as EpisodeContext,
        // biome-ignore lint/style/noNonNullAssertion: answersForEpisodes answers every episode it is given
        answers: answers.get(e.episode.id)!,
      })),
    };
  }
}

/** Counts every open episode of `org` on `today`, streaming through them a batch at a time. */
export async function completenessSummary(store: Store, org: string, today: string): Promise<CompletenessSummary> {
  type Tally = {
    g: Omit<CompletenessGroup, "parentalStatusRecorded" | "youngCarerAsked" | "pregnancyAsked">;
    r: number;
    y: number;
    p: number;
  };
  const tallies = new Map<string, Tally>();
  let notRecorded = 0;
  for await (const { rows } of answeredBatches(store, org, today)) {
    for (const { context: c, answers: a } of rows) {
      const key = JSON.stringify([c.provider, c.team, c.episodeType]);
      const t = tallies.get(key) ?? {
        g: { provider: c.provider, team: c.team, teamName: c.teamName, episodeType: c.episodeType, episodes: 0 },
        r: 0,
        y: 0,
        p: 0,
      };
      t.g.episodes++;
      if (isRecorded(a.parentalStatus)) t.r++;
      else notRecorded++;
      if (a.youngCarerAsked) t.y++;
      if (a.pregnancyAsked) t.p++;
      if (!t.g.teamName && c.teamName) t.g.teamName = c.teamName;
      tallies.set(key, t);
    }
  }
  const groups = [...tallies.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, t]) => ({
      ...t.g,
      parentalStatusRecorded: measure(t.r, t.g.episodes),
      youngCarerAsked: t.g.episodeType === "cpa" ? measure(t.y, t.g.episodes) : null,
      pregnancyAsked: measure(t.p, t.g.episodes),
    }));
  const episodes = groups.reduce((n, g) => n + g.episodes, 0);
  return {
    groups,
    total: { episodes, parentalStatusRecorded: measure(episodes - notRecorded, episodes), notRecorded },
  };
}

/**
 * Every open episode of `org` whose parental status is `not-recorded` (or absent), newest first, after
 * `after`. Yields each scanned position too (`row` undefined when the episode is recorded), so a page can
 * stop after scanning enough and resume from the last position it reached.
 */
export async function* notRecordedEpisodes(
  store: Store,
  org: string,
  today: string,
  after?: SearchCursor,
): AsyncGenerator<{ cursor: SearchCursor; row?: NotRecordedRow }> {
  for await (const { rows, scanned } of answeredBatches(store, org, today, after)) {
    for (const { cursor, context, answers } of rows) {
      if (isRecorded(answers.parentalStatus)) continue;
      yield {
        cursor,
        row: { ...context, parentalStatus: answers.parentalStatusSource === "absent" ? "absent" : "not-recorded" },
      };
    }
    yield { cursor: scanned };
  }
}
