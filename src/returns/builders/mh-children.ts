/**
 * The children of adults in mental health services return (DOMAIN.md §5): provider × local authority × quarter
 * counts over the stored CPA episodes, CSV and JSON, every count under the NHS rule (1–7 → `*`, others to the
 * nearest 5). Streams through the stored episodes a page at a time (a range walk of EpisodeOfCare, CPA kept).
 */
import { RECORD_OWNER_SYSTEM } from "../../auth/ownership.js";
import { EPISODE_TYPE_SYSTEM, FLAG_CODE_SYSTEM } from "../../reports/codes.js";
import type { Column } from "../../reports/csv.js";
import { providerOf } from "../../reports/episode-context.js";
import { codeIn, dayOf, type Json, referenceOf, resourceOf } from "../../reports/fhir-read.js";
import type { Store } from "../../store/port.js";
import { type NhsCell, nhsRule, nhsShare } from "../anon/nhs-rule.js";
import { riskReport } from "../anon/risk.js";
import type { BuiltReturn, ReturnBuildContext, ReturnRequest, Suppression } from "../port.js";
import { csvFile, jsonFile } from "./files.js";
import { episodeFacts, reportedLa } from "./mh-children-facts.js";
import { MH_MEASURES, type MhLine, type MhMeasure, MhTally } from "./mh-children-table.js";
import { scanType } from "./paged.js";
import { quartersOf } from "./quarters.js";
import { checkAborted, checkPeriod, overlaps } from "./request-checks.js";
import { type SourceReading, sourceRecordsOf } from "./source-records.js";

/** Episode statuses that mean care happened (planned, waitlisted, cancelled and mistaken ones are left out). */
const COUNTED_STATUSES = new Set(["active", "onhold", "finished"]);
const LINK_FLAG_CODES = ["child-in-need", "child-protection-plan", "looked-after"];
/** The LA of a line whose record names none. */
export const UNKNOWN_LA = "unknown";

/** One released line: the dimensions and each measure under the NHS rule, plus the recorded share. */
export type MhReleasedLine = { provider: string; la: string; quarter: string } & Record<MhMeasure, NhsCell> & {
    parental_status_recorded_pct: number | "*" | null;
  };

/** The Flags linking each patient to a child on CIN, a CP plan or looked after, by patient reference. */
async function linkFlags(store: Store, patients: string[]): Promise<Map<string, Json[]>> {
  const out = new Map<string, Json[]>();
  const unique = [...new Set(patients)];
  // One batched lookup for the page's patients (each patient's Flags in id order, as a subject search gives them).
  const bySubject = await store.findReferencing("Flag", "subject", unique);
  for (const patient of unique) {
    for (const version of bySubject.get(patient) ?? []) {
      const f = resourceOf(version);
      if (!f || !(LINK_FLAG_CODES as readonly string[]).includes(codeIn(f.code, FLAG_CODE_SYSTEM) ?? "")) continue;
      const s = referenceOf(f.subject);
      if (s) out.set(s, [...(out.get(s) ?? []), f]);
    }
  }
  return out;
}

/**
 * What the source records of a page of episodes need not read: the episodes themselves (in hand), and the
 * episode's own patient (the facts count the other Patients a record lists, its children) when every episode of
 * the page that the record names is that patient's.
 */
function pageReading(episodes: Json[]): SourceReading {
  const known = new Map<string, Json>(episodes.map((e) => [`EpisodeOfCare/${e.id}`, e]));
  const skip = (target: string, provenance: Json) => {
    if (!target.startsWith("Patient/")) return false;
    let named = false;
    for (const t of (Array.isArray(provenance.target) ? provenance.target : []).map(referenceOf)) {
      const episode = t === undefined ? undefined : known.get(t);
      if (!episode) continue;
      if ((referenceOf(episode.patient) ?? "") !== target) return false;
      named = true;
    }
    return named;
  };
  return { known, skip };
}

/** True when the episode's period (date precision) overlaps the days `from`–`to`. */
function within(e: Json, from: string, to: string): boolean {
  const p = (e.period as { start?: unknown; end?: unknown } | undefined) ?? {};
  return overlaps(dayOf(p.start), dayOf(p.end), from, to);
}

/** True when episode `a` is counted before `b` for their adult: it starts later (an open start is earliest), then by id. */
function later(a: Json, b: Json): boolean {
  const start = (e: Json) => dayOf((e.period as { start?: unknown } | undefined)?.start) ?? "";
  const [sa, sb] = [start(a), start(b)];
  return sa !== sb ? sa > sb : String(a.id) > String(b.id);
}

/** Releases a line under the NHS rule; the share is computed from the released figures. */
export function releaseLine(line: MhLine, suppressed: Suppression[]): MhReleasedLine {
  const out = { provider: line.provider, la: line.la, quarter: line.quarter } as MhReleasedLine;
  for (const m of MH_MEASURES) {
    const v = nhsRule(line.counts[m]);
    if (v === "*")
      suppressed.push({ cell: `${line.provider}/${line.la}/${line.quarter}|${m}`, reason: "primary", rule: "nhs-1-7" });
    (out as Record<string, unknown>)[m] = v;
  }
  out.parental_status_recorded_pct = nhsShare(out.parental_status_recorded, out.adults_on_cpa);
  return out;
}

/** The CSV columns. */
export const MH_COLUMNS: Column<MhReleasedLine>[] = [
  { header: "provider", cell: (r) => r.provider },
  { header: "la", cell: (r) => r.la },
  { header: "quarter_start", cell: (r) => r.quarter },
  ...MH_MEASURES.flatMap((m): Column<MhReleasedLine>[] => {
    const col: Column<MhReleasedLine> = { header: m, cell: (r) => r[m] };
    return m === "parental_status_recorded"
      ? [col, { header: "parental_status_recorded_pct", cell: (r) => r.parental_status_recorded_pct }]
      : [col];
  }),
];

/** Builds the return for the request's period (and `scope.org` provider / `scope.la` when given). */
export async function buildMhChildren(request: ReturnRequest, context: ReturnBuildContext): Promise<BuiltReturn> {
  const period = checkPeriod(request.period);
  const quarters = quartersOf(period);
  const { store } = context;
  const org = request.scope?.org;
  const owners = org ? new Set([org, org.toUpperCase()]) : undefined;
  const ownedBy = (e: Json) =>
    !owners ||
    ((e.meta as { tag?: { system?: string; code?: string }[] } | undefined)?.tag ?? []).some(
      (t) => t.system === RECORD_OWNER_SYSTEM && owners.has(t.code ?? ""),
    );
  const tally = new MhTally();
  let read = 0;
  let counted = 0;
  const isCpa = (e: Json) => codeIn(e.type, EPISODE_TYPE_SYSTEM) === "cpa" && ownedBy(e);
  const inPeriod = (e: Json) => COUNTED_STATUSES.has(e.status as string) && within(e, period.start, period.end);
  for await (const page of scanType(store, "EpisodeOfCare")) {
    checkAborted(context);
    const batch = page.filter(isCpa);
    read += batch.length;
    const episodes = batch.filter(inPeriod);
    if (episodes.length > 0) {
      const refs = episodes.map((e) => `EpisodeOfCare/${e.id}`);
      const patients = episodes.map((e) => referenceOf(e.patient)).filter((p): p is string => !!p);
      const [records, flags, siblings] = await Promise.all([
        sourceRecordsOf(store, refs, undefined, pageReading(episodes)),
        linkFlags(store, patients),
        store.findReferencing("EpisodeOfCare", "patient", [...new Set(patients)]),
      ]);
      for (const e of episodes) {
        const patient = referenceOf(e.patient) ?? "";
        const record = records.get(`EpisodeOfCare/${e.id}`)?.[0];
        const la = reportedLa(record) ?? UNKNOWN_LA;
        if (request.scope?.la && la !== request.scope.la) continue;
        const facts = episodeFacts(patient, record, flags.get(patient) ?? []);
        // The patient's other counted CPA episodes (decoded only for a patient with more than one episode).
        const mine = siblings.get(patient) ?? [];
        const others =
          mine.length > 1
            ? mine.flatMap((v) => {
                const o = v.id === e.id ? undefined : resourceOf(v);
                return o && isCpa(o) && inPeriod(o) && providerOf(o) === providerOf(e) ? [o] : [];
              })
            : [];
        let inAny = false;
        for (const q of quarters) {
          if (!within(e, q.from, q.to)) continue;
          // An adult counts once per provider and quarter: at their latest-starting episode of the quarter.
          if (others.some((o) => within(o, q.from, q.to) && later(o, e))) continue;
          tally.add(providerOf(e), la, q, facts);
          inAny = true;
        }
        if (inAny) counted++;
      }
    }
    context.onProgress?.(read);
  }
  const suppressed: Suppression[] = [];
  const rows = tally.sorted().map((l) => releaseLine(l, suppressed));
  const base = `mh-children-${org ?? "all"}-${period.start}-${period.end}`;
  const risk = riskReport({
    kind: "mh-children",
    rule: "nhs",
    quasiIdentifiers: ["provider", "la", "quarter_start"],
    releasedCounts: rows.flatMap((r) => MH_MEASURES.map((m) => r[m])),
    recordsIn: read,
    recordsOut: counted,
    suppressed,
    notes: [
      "NHS rule below national level: counts of 1-7 are shown as *, every other count is rounded to the nearest 5.",
      "parental_status_recorded_pct is computed from the rounded figures (shown as * when either is suppressed).",
      "Children are counted by age on the last day of the quarter (bands 0-4, 5-9, 10-15, 16-17).",
      `The LA is the one the CPA record names for the family's children's services involvement; "${UNKNOWN_LA}" when none.`,
      "An adult with two CPA episodes in one quarter at one provider counts once, with the LA and facts of the episode that started last.",
    ],
  });
  return {
    files: [
      csvFile(`${base}.csv`, MH_COLUMNS, rows),
      jsonFile(`${base}.json`, { return: "mh-children", period, scope: request.scope ?? {}, rule: "nhs", rows }),
    ],
    risk,
  };
}
