/**
 * The flag rules of DOMAIN.md §3 as implemented (docs/FLAGS.md): from a subject's facts, every reason
 * each flag holds, with the span it holds for and the records that contribute.
 */
import type { DerivedResource } from "../derive/port.js";
import { type FlagCode, SYSTEMS } from "./codes.js";
import { day } from "./dates.js";
import { adultSpan, childSpan, codeIn, hasCode, keyOf, type PersonFacts, type SubjectFacts } from "./facts.js";
import { intersectAll, type Span } from "./span.js";

type Json = Record<string, unknown>;

/** One reason a flag holds: when, and the records it rests on (`Type/id`). */
export interface Reason {
  code: FlagCode;
  span: Span;
  sources: string[];
}

const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** The episode-type code of an EpisodeOfCare, if any. */
function episodeType(e: DerivedResource): string | undefined {
  for (const t of list(e.type)) {
    const c = codeIn(t, SYSTEMS.episodeType);
    if (c) return c;
  }
  return undefined;
}

const ADULT_SERVICE = new Set(["cpa", "drug-alcohol-treatment"]);

/** The span of an episode or plan: its period; closed when it has an end or a finished status. Undefined when void. */
export function recordSpan(r: DerivedResource): Span | undefined {
  const status = r.status;
  if (status === "entered-in-error" || status === "draft") return undefined;
  const period = (r.period ?? {}) as Json;
  const start = day(period.start);
  const end = day(period.end);
  const finished = status === "finished" || status === "cancelled" || status === "completed" || status === "revoked";
  const span: Span = { closed: end !== undefined || finished };
  if (start) span.start = start;
  if (end) span.end = end;
  return span;
}

const isCpPlan = (p: DerivedResource) =>
  list(p.category).some((c) => hasCode(c, SYSTEMS.episodeType, "child-protection"));

/** A person's children's social care spans by flag: CP plans, CIN episodes, looked-after episodes. */
function childrensServices(p: PersonFacts): { code: FlagCode; span: Span; key: string }[] {
  const out: { code: FlagCode; span: Span; key: string }[] = [];
  for (const plan of p.plans) {
    const span = isCpPlan(plan) ? recordSpan(plan) : undefined;
    if (span) out.push({ code: "child-protection-plan", span, key: keyOf(plan) });
  }
  for (const e of p.episodes) {
    const type = episodeType(e);
    const code: FlagCode | undefined =
      type === "child-in-need" ? "child-in-need" : type === "looked-after" ? "looked-after" : undefined;
    const span = code ? recordSpan(e) : undefined;
    if (code && span) out.push({ code, span, key: keyOf(e) });
  }
  return out;
}

/** A person's open or closed CPA and treatment episodes. */
function adultServices(p: PersonFacts): { span: Span; key: string }[] {
  const out: { span: Span; key: string }[] = [];
  for (const e of p.episodes) {
    const span = ADULT_SERVICE.has(episodeType(e) ?? "") ? recordSpan(e) : undefined;
    if (span) out.push({ span, key: keyOf(e) });
  }
  return out;
}

interface Answer {
  /** `YYYY-MM-DD`, or "" when the record gives no date (taken as before every dated answer). */
  date: string;
  value: string | undefined;
  key: string;
}

/** The parental status answers (`not-recorded` is no answer) and pregnancy answers of a person. */
function answers(p: PersonFacts): { status: Answer[]; pregnancy: Answer[]; notRecorded: string[] } {
  const status: Answer[] = [];
  const pregnancy: Answer[] = [];
  const notRecorded: string[] = [];
  for (const o of p.observations) {
    if (!hasCode(o.code, SYSTEMS.observationCode, "parental-status")) continue;
    const date = day(o.effectiveDateTime) ?? "";
    const value = codeIn(o.valueCodeableConcept, SYSTEMS.parentalStatus);
    if (value === "not-recorded" || value === undefined) notRecorded.push(keyOf(o));
    else status.push({ date, value, key: keyOf(o) });
    for (const c of list(o.component))
      if (hasCode(c.code, SYSTEMS.observationCode, "pregnancy-status")) {
        const preg = codeIn(c.valueCodeableConcept, SYSTEMS.pregnancyStatus);
        if (preg) pregnancy.push({ date, value: preg, key: keyOf(o) });
      }
  }
  return { status, pregnancy, notRecorded };
}

/**
 * The spans in which the latest answer is `value`: from the first date it is given until the next date
 * an answer without it is given (answers of one date taken together, so their order does not matter).
 */
export function runs(all: readonly Answer[], value: string): { span: Span; sources: string[] }[] {
  const byDate = new Map<string, Answer[]>();
  for (const a of all) byDate.set(a.date, [...(byDate.get(a.date) ?? []), a]);
  const out: { span: Span; sources: string[] }[] = [];
  let open: { span: Span; sources: string[] } | undefined;
  for (const date of [...byDate.keys()].sort()) {
    const group = byDate.get(date) as Answer[];
    const holding = group.filter((a) => a.value === value);
    if (holding.length > 0) {
      if (!open) open = { span: date === "" ? { closed: false } : { start: date, closed: false }, sources: [] };
      open.sources.push(...holding.map((a) => a.key));
    } else if (open) {
      open.span = { ...open.span, end: date, closed: true };
      open.sources.push(...group.map((a) => a.key));
      out.push(open);
      open = undefined;
    }
  }
  if (open) out.push(open);
  return out;
}

/** Every reason any flag holds for the subject. */
export function reasons(f: SubjectFacts): Reason[] {
  const out: Reason[] = [];
  const p = f.person;
  const subjectKeys = [`Patient/${f.subject}`, ...p.personKeys];
  const add = (code: FlagCode, span: Span | undefined, sources: string[]) => {
    if (span) out.push({ code, span, sources: [...subjectKeys, ...sources] });
  };
  const { status, pregnancy, notRecorded } = answers(p);
  const me = { adult: adultSpan(p), child: childSpan(p) };

  // Parental status: children-in-household, children-elsewhere.
  for (const r of runs(status, "children-in-household")) add("household-has-children", r.span, r.sources);
  for (const r of runs(status, "children-elsewhere")) add("parent-children-elsewhere", r.span, r.sources);

  // Children's status not recorded: a CPA or treatment episode of a person no source has an answer for.
  if (status.length === 0)
    for (const e of adultServices(p)) add("children-status-not-recorded", e.span, [e.key, ...notRecorded]);

  // Pregnant: a pregnancy answer, or a linked unborn child of whom the person is the (not male) parent.
  for (const r of runs(pregnancy, "pregnant")) add("pregnant", r.span, r.sources);
  if (p.gender !== "male")
    for (const { relation, child } of f.unbornChildren) {
      const period = (relation.period ?? {}) as Json;
      const start = day(period.start);
      const span: Span = {
        end: child.unborn?.expected as string,
        computedEnd: true,
        closed: relation.active === false || period.end !== undefined,
      };
      if (start) span.start = start;
      add("pregnant", span, [keyOf(relation), child.unborn?.key as string, ...child.personKeys]);
    }

  // Young carer: the person's own young-carer observation or CIN factor 7A, while a child.
  for (const o of p.observations) {
    const youngCarer =
      (hasCode(o.code, SYSTEMS.observationCode, "young-carer") && o.valueBoolean === true) ||
      (hasCode(o.code, SYSTEMS.observationCode, "cin-assessment-factor") &&
        hasCode(o.valueCodeableConcept, SYSTEMS.cinFactor, "7A"));
    if (!youngCarer) continue;
    const start = day(o.effectiveDateTime);
    const span: Span = start ? { start, closed: false } : { closed: false };
    add("young-carer", me.child ? intersectAll([span, me.child]) : span, [keyOf(o), ...birthKey(p)]);
  }

  // The person's own CP plan, CIN episode, looked-after episode.
  for (const s of childrensServices(p)) add(s.code, s.span, [s.key]);

  // Households: children in the household, their plans and episodes shown on the adults, and the adults'
  // CPA and treatment episodes shown on the children.
  for (const h of f.households) {
    for (const { entry, person: other } of h.others) {
      const via = [entry.group, `Patient/${entry.record}`, ...other.personKeys];
      const otherChild = childSpan(other);
      if (me.adult && otherChild)
        add("household-has-children", intersectAll([h.own.span, entry.span, otherChild, me.adult]), [
          ...via,
          ...birthKey(other),
        ]);
      if (me.adult)
        for (const s of childrensServices(other))
          add(s.code, intersectAll([h.own.span, entry.span, s.span, me.adult]), [...via, s.key]);
      const otherAdult = adultSpan(other);
      if (me.child && otherAdult)
        for (const e of adultServices(other))
          add("parent-in-adult-services", intersectAll([h.own.span, entry.span, e.span, me.child, otherAdult]), [
            ...via,
            e.key,
            ...birthKey(p),
            ...birthKey(other),
          ]);
    }
  }
  return out;
}

const birthKey = (p: PersonFacts): string[] => (p.birth ? [p.birth.key] : p.unborn ? [p.unborn.key] : []);

/** Every date the subject's facts hold: the "as of" of the data, against which computed ends (18th birthdays) are passed. */
export function dataDates(f: SubjectFacts): string[] {
  const out: string[] = [];
  const ofPerson = (p: PersonFacts) => {
    for (const r of [...p.episodes, ...p.plans]) {
      const period = (r.period ?? {}) as Json;
      out.push(...[day(period.start), day(period.end)].filter((d): d is string => d !== undefined));
    }
    for (const o of p.observations) {
      const d = day(o.effectiveDateTime);
      if (d) out.push(d);
    }
  };
  ofPerson(f.person);
  for (const h of f.households) {
    for (const s of [h.own.span, ...h.others.map((o) => o.entry.span)])
      out.push(...[s.start, s.end].filter((d): d is string => d !== undefined));
    for (const o of h.others) ofPerson(o.person);
  }
  return out;
}
