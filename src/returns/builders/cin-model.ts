/**
 * A CIN census child rebuilt from the stored FHIR of its census record (the CIN mapping's Patient, referral
 * ServiceRequests, EpisodeOfCare, assessment and section 47 Encounters, factor Observations and CP CarePlans),
 * in the census's own terms, ready for the DfE checks and the XML writer.
 */
import cinEthnicity from "../../../mappings/cin/conceptmap-ethnicity.json" with { type: "json" };
import { LOCAL_ID, TFG_BASE } from "../../fhir/canonical.js";
import { codeIn, dayOf, type Json, referenceOf } from "../../reports/fhir-read.js";
import { ofType, type SourceRecord } from "./source-records.js";

/** One assessment. */
export interface CensusAssessment {
  start?: string;
  authorised?: string;
  factors: string[];
}
/** One section 47 enquiry. */
export interface CensusS47 {
  start?: string;
  target?: string;
  conference?: string;
  notRequired: boolean;
}
/** One child protection plan. */
export interface CensusCpp {
  start?: string;
  end?: string;
  initialCategory?: string;
  latestCategory?: string;
  previous?: number;
  reviews: string[];
}
/** One CIN episode (CINdetails). */
export interface CensusEpisode {
  referralDate?: string;
  referralSource?: string;
  primaryNeed?: string;
  closureDate?: string;
  closureReason?: string;
  initialConference?: string;
  nfa: boolean;
  assessments: CensusAssessment[];
  plans: { start?: string; end?: string }[];
  s47: CensusS47[];
  cpps: CensusCpp[];
}
/** One child. */
export interface CensusChild {
  laChildId: string;
  upn?: string;
  upnUnknown?: string;
  birthDate?: string;
  expectedBirthDate?: string;
  /** FHIR administrative gender, as stored. */
  gender?: string;
  ethnicity?: string;
  disabilities: string[];
  episodes: CensusEpisode[];
}

const cs = (id: string) => `${TFG_BASE}/CodeSystem/${id}`;
const sd = (id: string) => `${TFG_BASE}/StructureDefinition/${id}`;
const UKCORE_ETHNIC = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory";

/** UK Core ethnic category → CIN ethnicity code: the first CIN code the ingest map sends to it (C is WIRT, WOTH or WROM). */
const CIN_ETHNICITY = (() => {
  const out = new Map<string, string>();
  for (const e of (cinEthnicity as { group: { element: { code: string; target: { code: string }[] }[] }[] }).group[0]
    ?.element ?? [])
    for (const t of e.target) if (!out.has(t.code)) out.set(t.code, e.code);
  return out;
})();

const extensions = (r: Json | undefined, url: string): Json[] =>
  ((r?.extension as Json[] | undefined) ?? []).filter((e) => e.url === url);
const extCode = (r: Json | undefined, url: string, system: string) =>
  codeIn(extensions(r, url)[0]?.valueCodeableConcept, system);
const period = (r: Json) => (r.period as { start?: unknown; end?: unknown } | undefined) ?? {};
const activityOf = (r: Json) => codeIn(r.type, cs("cin-activity"));
const linked = (r: Json, field: string, ref: string) =>
  ((r[field] as unknown[] | undefined) ?? []).map(referenceOf).includes(ref);

/** The milestone dates of an episode, in order, as [type, date]. */
function milestones(episode: Json): [string, string][] {
  return extensions(episode, sd("episode-milestone")).flatMap((m) => {
    const parts = (m.extension as Json[] | undefined) ?? [];
    const type = (parts.find((p) => p.url === "type")?.valueCoding as { code?: string } | undefined)?.code;
    const date = parts.find((p) => p.url === "date")?.valueDate;
    return type && typeof date === "string" ? [[type, date] as [string, string]] : [];
  });
}

function episodeOf(e: Json, record: SourceRecord): CensusEpisode {
  const ref = `EpisodeOfCare/${e.id as string}`;
  const referral = record.resources.get(referenceOf((e.referralRequest as unknown[] | undefined)?.[0]) ?? "");
  const ms = milestones(e);
  const plans: { start?: string; end?: string }[] = [];
  for (const [type, date] of ms) {
    if (type === "cin-plan-start") plans.push({ start: date });
    else if (type === "cin-plan-end") {
      const open = plans.find((p) => p.end === undefined);
      if (open) open.end = date;
      else plans.push({ end: date });
    }
  }
  const encounters = ofType(record, "Encounter").filter((x) => linked(x, "episodeOfCare", ref));
  const factors = ofType(record, "Observation");
  const assessments = encounters
    .filter((x) => activityOf(x) === "assessment")
    .map((a) => ({
      start: dayOf(period(a).start),
      authorised: dayOf(period(a).end),
      factors: factors
        .filter((o) => referenceOf(o.encounter) === `Encounter/${a.id as string}`)
        .map((o) => codeIn(o.valueCodeableConcept, cs("cin-assessment-factor")))
        .filter((c): c is string => c !== undefined),
    }));
  const s47 = encounters
    .filter((x) => activityOf(x) === "section-47-enquiry")
    .map((s) => ({
      start: dayOf(period(s).start),
      target: extensions(s, sd("initial-cpc-target"))[0]?.valueDate as string | undefined,
      conference: dayOf(period(s).end),
      notRequired: extensions(s, sd("icpc-not-required"))[0]?.valueBoolean === true,
    }));
  const cpps = ofType(record, "CarePlan")
    .filter((c) => linked(c, "supportingInfo", ref))
    .map((c) => {
      const cat = extensions(c, sd("category-of-abuse"))[0]?.extension as Json[] | undefined;
      const catCode = (part: string) =>
        codeIn(cat?.find((x) => x.url === part)?.valueCodeableConcept, cs("cin-category-of-abuse"));
      const previous = extensions(c, sd("previous-plans"))[0]?.valueInteger;
      return {
        start: dayOf(period(c).start),
        end: dayOf(period(c).end),
        initialCategory: catCode("initial"),
        latestCategory: catCode("latest"),
        ...(typeof previous === "number" ? { previous } : {}),
        reviews: extensions(c, sd("review-date"))
          .map((x) => x.valueDate)
          .filter((d): d is string => typeof d === "string"),
      };
    });
  return {
    referralDate: dayOf(period(e).start) ?? ms.find(([t]) => t === "referral")?.[1],
    referralSource: extCode(referral, sd("referral-source"), cs("cin-referral-source")),
    primaryNeed: extCode(e, sd("primary-need"), cs("cin-primary-need")),
    closureDate: dayOf(period(e).end),
    closureReason: extCode(e, sd("episode-end-reason"), cs("cin-reason-for-closure")),
    initialConference: ms.find(([t]) => t === "initial-cpc")?.[1],
    nfa: extCode(referral, sd("referral-outcome"), cs("referral-outcome")) === "no-further-action",
    assessments,
    plans,
    s47,
    cpps,
  };
}

/** The child of one census record of `la`, or undefined when the record holds no child Patient. */
export function censusChild(la: string, record: SourceRecord): CensusChild | undefined {
  const patient = ofType(record, "Patient").find((p) =>
    ((p.identifier as Json[] | undefined) ?? []).some((i) => i.system === LOCAL_ID.cinChild(la)),
  );
  if (!patient) return undefined;
  const ids = (patient.identifier as Json[] | undefined) ?? [];
  const idOf = (system: string) => ids.find((i) => i.system === system && i.use !== "old")?.value as string | undefined;
  const ref = `Patient/${patient.id as string}`;
  const ukEthnic = extCode(patient, UKCORE_ETHNIC, "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland");
  const episodes = ofType(record, "EpisodeOfCare")
    .filter((e) => referenceOf(e.patient) === ref && codeIn(e.type, cs("episode-type")) === "child-in-need")
    .map((e) => episodeOf(e, record))
    .sort((a, b) => (a.referralDate ?? "").localeCompare(b.referralDate ?? ""));
  return {
    laChildId: idOf(LOCAL_ID.cinChild(la)) ?? "",
    upn: idOf(LOCAL_ID.cinUpn),
    upnUnknown: extCode(patient, sd("upn-unknown-reason"), cs("cin-upn-unknown")),
    birthDate: dayOf(patient.birthDate),
    expectedBirthDate: extensions(patient, sd("expected-birth-date"))[0]?.valueDate as string | undefined,
    gender: typeof patient.gender === "string" ? patient.gender : undefined,
    ethnicity: ukEthnic ? CIN_ETHNICITY.get(ukEthnic) : undefined,
    disabilities: extensions(patient, sd("disability"))
      .map((d) => codeIn(d.valueCodeableConcept, cs("cin-disability")))
      .filter((c): c is string => c !== undefined),
    episodes,
  };
}
