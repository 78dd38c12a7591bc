/**
 * Children in Need census records for the children (and unborn children) open to children's
 * social care. Dates follow the DfE rules (reference notes §3, §7): referral ≤ assessment ≤
 * authorisation; s47 → initial conference → CP plan starting on the conference date; reviews
 * inside the plan; closure on or after every activity and within the collection year; a referral
 * with no further action (ReferralNFA 1) has no activity and closes on the referral date; factor
 * 21 stands alone; an unborn child has an expected birth date only. The census carries no names,
 * NHS numbers or addresses: LAchildID is the only link, kept in the ground truth.
 */
import { CATEGORY_FACTOR, CIN_CATEGORIES, CIN_REFERRAL_SOURCES } from "./codes.js";
import { SHARES } from "./config.js";
import { addDays, ageOn, maxDate, minDate, randomDate } from "./dates.js";
import { issueUpn, uniqueId } from "./identifiers.js";
import type { Person, PopulationIndex } from "./model.js";
import { type NoiseLog, noteGap, type Writing } from "./noise.js";
import type { Rng } from "./prng.js";

export interface CinAssessment {
  start: string;
  authorised?: string;
  factors: string[];
}
export interface CinS47 {
  start: string;
  target?: string;
  conference?: string;
  notRequired: boolean;
}
export interface CinCpp {
  start: string;
  end?: string;
  initialCategory: string;
  latestCategory: string;
  previous: number;
  reviews: string[];
}
export interface CinEpisode {
  referralDate: string;
  referralSource: string;
  primaryNeed?: string;
  closureDate?: string;
  closureReason?: string;
  initialConference?: string;
  assessments: CinAssessment[];
  plans: { start: string; end?: string }[];
  s47: CinS47[];
  nfa: boolean;
  cpps: CinCpp[];
}
export interface CinChild {
  personId: string;
  lea: string;
  laChildId: string;
  upn?: string;
  upnUnknown?: string;
  birthDate?: string;
  expectedBirthDate?: string;
  sex: "M" | "F" | "U";
  ethnicity: string;
  disabilities: string[];
  episodes: CinEpisode[];
}

/** A child's children's social care status on the reference date, as the adult services would be told it. */
export interface CinState {
  lea: string;
  laChildId: string;
  /** CP (open plan), CIN (open episode), EH (closed to early help), or none open. */
  status: "CP" | "CIN" | "EH" | "closed";
  everOnPlan: boolean;
  factors: string[];
}

const FACTOR_RE = /^(\d+)([A-Z]?)$/;
const factorOrder = (a: string, b: string) => {
  const [, an = "0", al = ""] = FACTOR_RE.exec(a) ?? [];
  const [, bn = "0", bl = ""] = FACTOR_RE.exec(b) ?? [];
  return Number(an) - Number(bn) || al.localeCompare(bl);
};

interface Ctx {
  index: PopulationIndex;
  rng: Rng;
  child: Person;
  ref: string;
  start: string;
  /** Earliest possible referral: birth, or when the pregnancy became known. */
  earliest: string;
  writing: Writing;
}

/** Assessment factors from what is true of the household (parental mental health 4B, alcohol 1B, drugs 2B, domestic abuse 3B/3C, young carer 7A…). */
function factorsFor(c: Ctx, category?: string): string[] {
  const { index, rng, child } = c;
  const h = index.household(child.householdId);
  const carers = index.carersIn(h.id);
  const others = index.members(h.id).filter((p) => p.kind === "adult" && !carers.includes(p));
  const f = new Set<string>();
  const add = (code: string, p: number) => {
    if (rng.chance(p)) f.add(code);
  };
  if (carers.some((a) => a.needs.mentalHealth)) add("4B", 0.85);
  if (carers.some((a) => a.needs.alcohol)) add("1B", 0.85);
  if (carers.some((a) => a.needs.drugs)) add("2B", 0.85);
  if (carers.some((a) => a.needs.illness)) add("6B", 0.6);
  if (others.some((a) => a.needs.mentalHealth)) add("4C", 0.6);
  if (others.some((a) => a.needs.alcohol)) add("1C", 0.6);
  if (others.some((a) => a.needs.drugs)) add("2C", 0.6);
  if (h.domesticAbuse === "parent") {
    add("3B", 0.9);
    add("3A", 0.2);
  }
  if (h.domesticAbuse === "other") add("3C", 0.9);
  if (child.youngCarerFor.length > 0) {
    if (rng.chance(SHARES.youngCarerFactor)) f.add("7A");
    else noteGap(c.writing, "young-carer-not-recorded");
  }
  if (child.disability) add(child.disability === "LD" ? "5A" : "6A", 0.6);
  if (category) f.add(CATEGORY_FACTOR[category] ?? "16A");
  const age = child.birthDate ? ageOn(child.birthDate, c.ref) : -1;
  if (age >= 12) {
    add("14A", 0.08);
    add("10A", 0.05);
    add("15A", 0.05);
    add("4A", 0.08);
    add("24A", 0.03);
  }
  if (f.size === 0) f.add("20");
  return [...f].sort(factorOrder);
}

function primaryNeed(c: Ctx, factors: string[], cp: boolean): string {
  if (cp) return "N1";
  const r = c.rng;
  if (c.child.disability && r.chance(0.5)) return "N2";
  if ((factors.includes("4B") || factors.includes("6B")) && r.chance(0.5)) return "N3";
  if (factors.some((f) => ["1B", "2B", "3B", "3C"].includes(f)) && r.chance(0.5)) return "N5";
  return r.weighted([
    ["N4", 40],
    ["N1", 25],
    ["N5", 15],
    ["N8", 8],
    ["N6", 6],
    ["N7", 6],
  ]);
}

function referralSource(c: Ctx): string {
  const { index, rng, child } = c;
  const h = index.household(child.householdId);
  const carers = index.carersIn(h.id);
  if (h.domesticAbuse !== "none" && rng.chance(0.45)) return "6";
  if (carers.some((a) => a.services.cpa) && rng.chance(0.3)) return "3F";
  if (carers.some((a) => a.services.ndtms) && rng.chance(0.25)) return rng.pick(["3F", "8"]);
  if (child.kind === "unborn") return rng.pick(["3D", "3D", "3F", "5A"]);
  if (child.birthDate && ageOn(child.birthDate, c.ref) < 3 && rng.chance(0.4)) return "3B";
  return rng.weighted(CIN_REFERRAL_SOURCES);
}

/** A date in [from, to], or undefined when the window is empty. */
const within = (rng: Rng, from: string, to: string) => (from <= to ? randomDate(rng, from, to) : undefined);

function nfaEpisode(c: Ctx, latest = c.ref): CinEpisode | undefined {
  const referral = within(c.rng, maxDate(c.earliest, c.start), latest);
  if (!referral) return undefined;
  return {
    referralDate: referral,
    referralSource: referralSource(c),
    closureDate: referral,
    closureReason: "RC8",
    assessments: [],
    plans: [],
    s47: [],
    nfa: true,
    cpps: [],
  };
}

/** Referral, assessment, closed after assessment (no further action, or referred to early help). */
function assessedAndClosed(c: Ctx, latest = c.ref): CinEpisode | undefined {
  const { rng } = c;
  const referral = within(rng, maxDate(c.earliest, addDays(c.start, -20)), addDays(latest, -25));
  if (!referral) return undefined;
  const start = addDays(referral, rng.int(0, 7));
  const authorised = minDate(addDays(start, rng.int(10, 45)), latest);
  let closure = minDate(addDays(authorised, rng.int(0, 10)), latest);
  if (closure < c.start) closure = c.start;
  const earlyHelp = rng.chance(0.4);
  const factors = !earlyHelp && rng.chance(0.3) ? ["21"] : factorsFor(c);
  return {
    referralDate: referral,
    referralSource: referralSource(c),
    primaryNeed: primaryNeed(c, factors, false),
    closureDate: closure,
    closureReason: earlyHelp ? "RC9" : "RC8",
    assessments: [{ start, authorised, factors }],
    plans: [],
    s47: [],
    nfa: false,
    cpps: [],
  };
}

/** Referral, assessment and a CIN plan (sometimes after a s47 enquiry that needed no conference); some closed. */
function cinPlanEpisode(c: Ctx, withS47: boolean): CinEpisode | undefined {
  const { rng, ref } = c;
  const referral = within(rng, maxDate(c.earliest, addDays(ref, -3 * 365)), addDays(ref, -25));
  if (!referral) return undefined;
  const start = addDays(referral, rng.int(0, 7));
  const authorised = addDays(start, rng.int(10, 45));
  const planStart = addDays(authorised, rng.int(0, 7));
  if (planStart > ref) return inProgress(c, referral, start);
  const factors = factorsFor(c);
  const ep: CinEpisode = {
    referralDate: referral,
    referralSource: referralSource(c),
    primaryNeed: primaryNeed(c, factors, false),
    assessments: [{ start, authorised, factors }],
    plans: [{ start: planStart }],
    s47: withS47 ? [{ start: addDays(referral, rng.int(0, 3)), notRequired: true }] : [],
    nfa: false,
    cpps: [],
  };
  const closedFrom = maxDate(c.start, addDays(planStart, 30));
  if (rng.chance(0.35) && closedFrom <= ref) {
    const closure = randomDate(rng, closedFrom, ref);
    ep.closureDate = closure;
    ep.closureReason = rng.chance(0.85) ? "RC7" : "RC5";
    (ep.plans[0] as { end?: string }).end = closure;
  }
  return ep;
}

/** An open episode whose assessment has started but is not yet authorised (no factors yet). */
function inProgress(c: Ctx, referral: string, start: string): CinEpisode | undefined {
  if (start > c.ref) return undefined;
  return {
    referralDate: referral,
    referralSource: referralSource(c),
    primaryNeed: primaryNeed(c, [], false),
    assessments: [{ start, factors: [] }],
    plans: [],
    s47: [],
    nfa: false,
    cpps: [],
  };
}

/** Referral, s47 enquiry, initial conference, child protection plan with reviews; some plans ended (closed or stepped down to a CIN plan). */
function cpEpisode(c: Ctx): CinEpisode | undefined {
  const { rng, ref } = c;
  const referral = within(rng, maxDate(c.earliest, addDays(ref, -2 * 365)), addDays(ref, -30));
  if (!referral) return undefined;
  const s47 = addDays(referral, rng.int(0, 4));
  const conference = addDays(s47, rng.int(8, 15));
  if (conference > ref) return undefined;
  const start = addDays(referral, rng.int(0, 5));
  const authorisedOn = addDays(start, rng.int(10, 45));
  const category = rng.weighted(CIN_CATEGORIES);
  const latest = rng.chance(0.85) ? category : rng.weighted(CIN_CATEGORIES.filter(([k]) => k !== category));
  const assessment: CinAssessment =
    authorisedOn <= ref
      ? { start, authorised: authorisedOn, factors: factorsFor(c, category) }
      : { start, factors: [] };
  const plan: CinCpp = {
    start: conference,
    initialCategory: category,
    latestCategory: latest,
    previous: rng.weighted([
      [0, 88],
      [1, 10],
      [2, 2],
    ]),
    reviews: [],
  };
  const ep: CinEpisode = {
    referralDate: referral,
    referralSource: referralSource(c),
    primaryNeed: "N1",
    initialConference: conference,
    assessments: [assessment],
    plans: [],
    s47: [{ start: s47, target: addDays(s47, 21), conference, notRequired: false }],
    nfa: false,
    cpps: [plan],
  };
  const endFrom = maxDate(c.start, addDays(conference, 90));
  if (rng.chance(0.3) && endFrom <= ref) {
    plan.end = randomDate(rng, endFrom, ref);
    if (rng.chance(0.5)) {
      ep.closureDate = minDate(addDays(plan.end, rng.int(0, 30)), ref);
      ep.closureReason = "RC7";
    } else if (addDays(plan.end, 1) <= ref) {
      ep.plans.push({ start: addDays(plan.end, 1) });
    }
  }
  const until = plan.end ?? ref;
  for (let d = addDays(conference, 91); d <= until; d = addDays(d, 182)) plan.reviews.push(d);
  return ep;
}

/** Builds the CIN children and each child's status; drops a child whose dates cannot fit (and its involvement). */
export function buildCin(
  index: PopulationIndex,
  rng: Rng,
  log: NoiseLog,
): { children: CinChild[]; states: Map<string, CinState> } {
  const { pop } = index;
  const ref = pop.calendar.referenceDate;
  const children: CinChild[] = [];
  const states = new Map<string, CinState>();
  const usedIds = new Set<string>();
  const usedUpns = new Set<string>();
  for (const p of pop.people) {
    const level = p.services.csc;
    if (!level) continue;
    const r = rng.fork(`cin/${p.id}`);
    const area = index.household(p.householdId).address.area;
    const laChildId = uniqueId(usedIds, () => `${area.childIdPrefix}${r.digits(7)}`);
    const writing: Writing = { rng: r, log, person: p, source: "cin", record: `${area.lea}/${laChildId}` };
    const c: Ctx = {
      index,
      rng: r,
      child: p,
      ref,
      start: pop.calendar.collectionStart,
      earliest: p.birthDate ?? addDays(p.expectedBirthDate as string, -196),
      writing,
    };
    let main: CinEpisode | undefined;
    if (level === "cp") main = cpEpisode(c);
    if (!main) {
      const path = r.weighted([
        ["nfa", 12],
        ["assessed", 18],
        ["plan", 60],
        ["s47-plan", 10],
      ]);
      if (path === "nfa") main = nfaEpisode(c);
      else if (path === "assessed") main = assessedAndClosed(c);
      else main = cinPlanEpisode(c, path === "s47-plan");
      main ??= nfaEpisode(c);
    }
    if (!main) {
      p.services.csc = undefined;
      continue;
    }
    if (level === "cp" && main.cpps.length === 0) p.services.csc = "cin";
    const episodes = [main];
    // A repeat referral: an earlier short episode in the same collection year.
    const beforeMain = addDays(main.referralDate, -30);
    if (r.chance(0.1) && beforeMain >= maxDate(c.start, c.earliest)) {
      const earlier = r.chance(0.6) ? nfaEpisode(c, beforeMain) : assessedAndClosed(c, beforeMain);
      if (earlier?.closureDate && earlier.closureDate < main.referralDate) episodes.unshift(earlier);
    }

    const age = p.birthDate ? ageOn(p.birthDate, ref) : -1;
    const upn =
      age >= 5 && r.chance(0.92)
        ? issueUpn(r, area.lea, Number(addDays(p.birthDate as string, 5 * 365).slice(0, 4)), usedUpns)
        : undefined;
    let ethnicity = p.ethnicity.cin;
    if (r.chance(SHARES.ethnicityNotStated)) {
      ethnicity = r.chance(0.7) ? "NOBT" : "REFU";
      noteGap(writing, "ethnicity-not-stated", p.ethnicity.cin, ethnicity);
    }
    children.push({
      personId: p.id,
      lea: area.lea,
      laChildId,
      ...(upn ? { upn } : { upnUnknown: age >= 5 ? "UN3" : "UN1" }),
      ...(p.birthDate ? { birthDate: p.birthDate } : { expectedBirthDate: p.expectedBirthDate }),
      sex: p.kind === "unborn" ? "U" : (p.sex as "M" | "F"),
      ethnicity,
      disabilities: [p.disability ?? "NONE"],
      episodes,
    });
    const last = episodes[episodes.length - 1] as CinEpisode;
    const openPlan = last.cpps.some((cpp) => !cpp.end);
    states.set(p.id, {
      lea: area.lea,
      laChildId,
      status: openPlan ? "CP" : !last.closureDate ? "CIN" : last.closureReason === "RC9" ? "EH" : "closed",
      everOnPlan: episodes.some((e) => e.cpps.length > 0),
      factors: last.assessments.flatMap((a) => a.factors),
    });
  }
  children.sort((a, b) => a.lea.localeCompare(b.lea) || a.laChildId.localeCompare(b.laChildId));
  return { children, states };
}
