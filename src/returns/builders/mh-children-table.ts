/** The tally of the mental health children's return: one line per provider × LA × quarter, counted raw. */
import { ageOn, bandOf } from "../anon/generalise.js";
import type { EpisodeFacts } from "./mh-children-facts.js";
import { overlaps } from "./request-checks.js";

/** The counted measures, in column order. */
export const MH_MEASURES = [
  "adults_on_cpa",
  "parental_status_recorded",
  "parents",
  "with_children_in_household",
  "children_0_4",
  "children_5_9",
  "children_10_15",
  "children_16_17",
  "pregnant",
  "young_carers_identified",
  "referrals_to_childrens_services",
  "linked_children_cin",
  "linked_children_cp_plan",
  "linked_children_looked_after",
] as const;

/** One measure. */
export type MhMeasure = (typeof MH_MEASURES)[number];

/** One line's raw counts. */
export interface MhLine {
  provider: string;
  la: string;
  quarter: string;
  counts: Record<MhMeasure, number>;
}

const LINK_FLAGS: [string, MhMeasure][] = [
  ["child-in-need", "linked_children_cin"],
  ["child-protection-plan", "linked_children_cp_plan"],
  ["looked-after", "linked_children_looked_after"],
];

/** Lines keyed by provider, LA and quarter; memory grows with the number of lines, not of adults. */
export class MhTally {
  private readonly lines = new Map<string, MhLine>();

  /** Counts one episode open in the quarter [from, to]. */
  add(provider: string, la: string, quarter: { label: string; from: string; to: string }, f: EpisodeFacts): void {
    const key = JSON.stringify([provider, la, quarter.label]);
    let line = this.lines.get(key);
    if (!line) {
      const counts = Object.fromEntries(MH_MEASURES.map((m) => [m, 0])) as Record<MhMeasure, number>;
      line = { provider, la, quarter: quarter.label, counts };
      this.lines.set(key, line);
    }
    const c = line.counts;
    c.adults_on_cpa++;
    if (f.parentalStatus !== "not-recorded") c.parental_status_recorded++;
    if (f.parentalStatus === "children-in-household" || f.parentalStatus === "children-elsewhere") c.parents++;
    if (f.parentalStatus === "children-in-household") c.with_children_in_household++;
    for (const birth of f.childBirthDates) {
      if (birth > quarter.to) continue;
      const band = bandOf(ageOn(birth, quarter.to));
      if (band) c[`children_${band.replace("-", "_")}` as MhMeasure] += 1;
    }
    if (f.pregnant) c.pregnant++;
    c.young_carers_identified += f.youngCarers;
    c.referrals_to_childrens_services += f.childrensServices;
    for (const [code, measure] of LINK_FLAGS)
      if ((f.flags.get(code) ?? []).some((s) => overlaps(s.start, s.end, quarter.from, quarter.to))) c[measure]++;
  }

  /** The lines sorted by provider, LA, quarter. */
  sorted(): MhLine[] {
    return [...this.lines.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, l]) => l);
  }
}
