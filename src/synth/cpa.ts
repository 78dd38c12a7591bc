/**
 * CPA patient records (docs/sources/cpa.md) for the adults on CPA: MPI with EPR name, address
 * and UPRN, care coordinators with contact details, one CPA episode with reviews, the referral
 * with admissions (planned discharge dates, discharge meetings) and missed appointments, and the
 * Household section. The parental-status questions are left unrecorded in a fixed share of
 * records (no Household section, or a Household without ChildrenQuestion), as the 2013
 * inspection found; when they are answered the listing is complete and truthful.
 */

import type { CinState } from "./cin.js";
import { MH_REFERRAL_REASONS, MH_REFERRAL_SOURCES, MH_TEAM_TYPES } from "./codes.js";
import { type Calendar, SHARES, TRUSTS } from "./config.js";
import { addDays, addYears, ageOn, daysBetween, maxDate, minDate, randomDate } from "./dates.js";
import { uniqueId } from "./identifiers.js";
import type { Person, PopulationIndex } from "./model.js";
import { FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES } from "./names.js";
import {
  type NoiseLog,
  noteGap,
  type Writing,
  writtenAddress,
  writtenBirthDate,
  writtenName,
  writtenNhsNumber,
} from "./noise.js";
import type { Rng } from "./prng.js";

type Rec = Record<string, unknown>;

/** One CPA patient record, keys in the order of docs/sources/cpa.md. */
export interface CpaPatient {
  OrgIDProv: string;
  MHS001MPI: Rec;
  MHS005PatInd?: Rec;
  MHS006MHCareCoord: Rec[];
  MHS701CPACareEpisode: Rec[];
  MHS702CPAReview: Rec[];
  MHS101Referral: Rec[];
  Household?: Rec;
}

/** How the record answers the household questions (what the generator decided to write). */
export type CpaRecording = "answered" | "declined" | "no-question" | "no-household";

/** What the ground truth needs to know about one CPA record. */
export interface CpaLink {
  personId: string;
  org: string;
  localPatientId: string;
  nhsNumberWritten?: string;
  givenNameWritten?: string;
  familyNameWritten: string;
  birthDateWritten?: string;
  uprnWritten?: string;
  postcodeWritten: string;
  recording: CpaRecording;
  assessmentDate?: string;
  /** Children listed in Household.Children: who they are and their ChildLocalId. */
  listed: { personId: string; childLocalId: string; nhsNumberWritten?: string; given?: string; family: string }[];
  episodeOpen: boolean;
}

interface Coordinator {
  id: string;
  name: string;
  team: { id: string; name: string; type: string };
  phone: string;
  email: string;
}

const TEAM_NAMES = [
  "Community Mental Health Team North",
  "Community Mental Health Team South",
  "Early Intervention in Psychosis",
  "Assertive Outreach",
];

/** A staff list per trust: coordinators in teams, with synthetic names, 01632 960xxx numbers (reserved for drama) and `.example` emails. */
function staffFor(rng: Rng, org: string): Coordinator[] {
  const teams = TEAM_NAMES.map((name, i) => ({ id: `${org}T${i + 1}`, name, type: MH_TEAM_TYPES[i] as string }));
  const used = new Set<string>();
  return Array.from({ length: 14 }, (_, i) => {
    const given = rng.pick(rng.chance(0.6) ? FEMALE_NAMES : MALE_NAMES);
    const family = rng.pick(FAMILY_NAMES);
    const phone = uniqueId(used, () => `01632 960${rng.digits(3)}`);
    const domain = TRUSTS[org]?.emailDomain ?? "trust.nhs.example";
    return {
      id: `${org}CC${String(i + 1).padStart(3, "0")}`,
      name: `${given} ${family}`,
      team: rng.pick(teams),
      phone,
      email: `${given}.${family}@${domain}`.toLowerCase().replace(/[^a-z.@]/g, ""),
    };
  });
}

const LOCAL_ID: Readonly<Record<string, (rng: Rng) => string>> = {
  RX4: (rng) => `M${rng.digits(7)}`,
  RXE: (rng) => `RXE${rng.digits(6)}`,
  RXG: (rng) => `4${rng.digits(7)}`,
};

/** The parental status docs/sources/cpa.md derives from a record (kept beside the gateway's own derivation for tests). */
export function cpaRecordParentalStatus(record: CpaPatient): string {
  const h = record.Household as Rec | undefined;
  const answer = h?.ChildrenQuestion;
  const on = h?.AssessmentDate as string | undefined;
  // A listed child counts unless the record shows they were 18 or over on the assessment date.
  const kids = ((h?.Children as Rec[] | undefined) ?? []).filter(
    (c) => !(c.PersonBirthDate && on && ageOn(c.PersonBirthDate as string, on) >= 18),
  );
  const inHousehold = (c: Rec) => c.LivesWithPatient === "Y" || c.OvernightContact === "Y";
  if (answer === "Z") return "declined";
  if (answer === "N") return "no-children";
  if (answer === "Y") return kids.some(inHousehold) ? "children-in-household" : "children-elsewhere";
  if (record.MHS005PatInd?.ParentalResp === "Y" && kids.some((c) => c.LivesWithPatient === "Y")) {
    return "children-in-household";
  }
  return "not-recorded";
}

interface BuildCtx {
  index: PopulationIndex;
  calendar: Calendar;
  log: NoiseLog;
  states: Map<string, CinState>;
  invalidNhs: boolean;
  staff: Map<string, Coordinator[]>;
  usedIds: Set<string>;
}

function coordinatorAt(assignments: { c: Coordinator; from: string; to?: string }[], date: string): Coordinator {
  const hit = assignments.find((a) => a.from <= date && (!a.to || date <= a.to));
  return (hit ?? assignments[assignments.length - 1])?.c as Coordinator;
}

function buildOne(ctx: BuildCtx, rng: Rng, p: Person, recording: CpaRecording): { record: CpaPatient; link: CpaLink } {
  const { index, calendar } = ctx;
  const ref = calendar.referenceDate;
  const org = p.services.cpa?.org as string;
  const household = index.household(p.householdId);
  const localPatientId = uniqueId(ctx.usedIds, () => (LOCAL_ID[org] ?? LOCAL_ID.RX4)?.(rng) as string);
  const w: Writing = { rng, log: ctx.log, person: p, source: "cpa", record: `${org}/${localPatientId}` };
  const dob = p.birthDate as string;

  // Episode, referral, coordinators, reviews.
  const adultFrom = addYears(dob, 18);
  const earliest = maxDate(adultFrom, addDays(ref, -6 * 365));
  const start = earliest > addDays(ref, -14) ? earliest : randomDate(rng, earliest, addDays(ref, -14));
  const closedFrom = maxDate(addDays(start, 90), calendar.collectionStart);
  const end =
    rng.chance(0.2) && closedFrom <= addDays(ref, -1) ? randomDate(rng, closedFrom, addDays(ref, -1)) : undefined;
  const until = end ?? ref;
  const referral = maxDate(addDays(start, -rng.int(7, 90)), addYears(dob, 17));
  const staff = ctx.staff.get(org) as Coordinator[];
  const first = rng.pick(staff);
  const assignments: { c: Coordinator; from: string; to?: string }[] = [{ c: first, from: start, to: end }];
  if (daysBetween(start, until) > 365 && rng.chance(0.4)) {
    const handover = randomDate(rng, addDays(start, 120), addDays(until, -30));
    const second = rng.pick(staff.filter((s) => s !== first));
    assignments[0] = { c: first, from: start, to: addDays(handover, -1) };
    assignments.push({ c: second, from: handover, to: end });
  }
  const episodeId = uniqueId(ctx.usedIds, () => `CEI${rng.digits(9)}`);
  const reviews: string[] = [];
  for (let d = addDays(start, rng.int(30, 150)); d <= until; d = addDays(d, rng.int(160, 200))) reviews.push(d);
  if (reviews.length === 0) reviews.push(until);

  const referralRec: Rec = {
    ServiceRequestId: uniqueId(ctx.usedIds, () => `SR${rng.digits(9)}`),
    ReferralRequestReceivedDate: referral,
    SourceOfReferralMH: rng.pick(MH_REFERRAL_SOURCES),
    PrimReasonReferralMH: rng.pick(MH_REFERRAL_REASONS),
    ServTeamTypeRefToMH: first.team.type,
  };
  if (end) referralRec.ServDischDate = minDate(addDays(end, rng.int(0, 20)), ref);
  if (rng.chance(household.complex ? 0.22 : 0.1)) {
    const admitted = randomDate(rng, maxDate(start, addDays(ref, -365)), until);
    const stay = rng.int(5, 90);
    const out = addDays(admitted, stay);
    const adm: Rec = { StartDateHospProvSpell: admitted };
    if (out <= until || end) {
      const disch = minDate(out, until);
      adm.DischDateHospProvSpell = disch;
      if (rng.chance(0.7)) adm.PlannedDischDate = maxDate(admitted, addDays(disch, rng.int(-7, 3)));
      adm.DischargeMeetingHeld = rng.chance(0.7) ? "Y" : "N";
    } else {
      if (rng.chance(0.6)) adm.PlannedDischDate = addDays(ref, rng.int(3, 40));
      if (rng.chance(0.3)) adm.DischargeMeetingHeld = "N";
    }
    referralRec.Admissions = [adm];
  }
  const missedFrom = maxDate(start, addDays(ref, -180));
  if (rng.chance(0.35) && missedFrom <= until) {
    const dates = new Set<string>();
    for (let i = rng.int(1, 4); i > 0; i--) dates.add(randomDate(rng, missedFrom, until));
    referralRec.MissedAppointments = [...dates].sort();
  }

  // Identity as the trust holds it.
  const name = writtenName(w);
  const nhs = writtenNhsNumber(w, { missing: SHARES.cpaNhsMissing, mistyped: SHARES.nhsMistyped }, ctx.invalidNhs);
  const birthDate = writtenBirthDate(w, ref);
  const address = writtenAddress(w, household);
  let ethnic = p.ethnicity.letter;
  if (rng.chance(SHARES.ethnicityNotStated)) {
    ethnic = rng.pick(["Z", "99"]);
    noteGap(w, "ethnicity-not-stated", p.ethnicity.letter, ethnic);
  }
  let uprn: string | undefined = address.uprn;
  if (rng.chance(SHARES.cpaUprnMissing)) {
    noteGap(w, "uprn-missing", address.uprn);
    uprn = undefined;
  }
  const mpi: Rec = {
    LocalPatientId: localPatientId,
    OrgIDLocalPatientId: org,
    ...(nhs
      ? { NHSNumber: nhs, NHSNumberStatus: nhs === p.nhsNumber && rng.chance(0.9) ? "01" : "02" }
      : { NHSNumberStatus: "03" }),
    PersonBirthDate: birthDate,
    Postcode: address.postcode,
    GenderIDCode: p.sex === "F" ? "2" : "1",
    EthnicCategory: ethnic,
    PersonGivenName: name.given,
    PersonFamilyName: name.family,
    AddressLines: address.lines,
    ...(uprn ? { UPRN: uprn } : {}),
  };

  // Who the patient truly lives with or is parent to.
  const ownLinks = index.childLinksOf(p.id).filter((l) => index.person(l.child).kind !== "adult");
  const ownMinors = ownLinks.map((l) => index.person(l.child));
  const resident = index.minorsIn(p.householdId);
  const elsewhere = ownLinks.filter((l) => !l.resident).map((l) => ({ child: index.person(l.child), link: l }));
  const pregnancy = index.pop.pregnancies.find((g) => g.mother === p.id);

  // When the household questions were asked: after the youngest child's birth and once a pregnancy is known, if possible.
  const wanted = [
    start,
    ...[...resident, ...elsewhere.map((e) => e.child)].map(
      (c) => c.birthDate ?? addDays(c.expectedBirthDate as string, -196),
    ),
  ];
  const lower = maxDate(...wanted);
  const assessed = lower <= until ? randomDate(rng, lower, until) : until;
  const assessedBy = coordinatorAt(assignments, assessed).id;
  const knownAt = (c: Person) =>
    c.birthDate ? c.birthDate <= assessed : addDays(c.expectedBirthDate as string, -196) <= assessed;

  const patInd: Rec | undefined = rng.chance(0.8)
    ? { ParentalResp: rng.chance(0.1) ? "U" : ownMinors.length > 0 ? "Y" : "N" }
    : undefined;

  const listed: CpaLink["listed"] = [];
  let householdSection: Rec | undefined;
  const otherAdults = () =>
    index
      .members(p.householdId)
      .filter((m) => m.kind === "adult" && m.id !== p.id)
      .map((m) => {
        const mw: Writing = { ...w, person: m, source: "cpa-household" };
        const n = writtenName(mw);
        return { PersonGivenName: n.given, PersonFamilyName: n.family, Relationship: relationshipTo(index, p, m) };
      });
  if (recording === "no-household") {
    noteGap(w, "parental-status-not-recorded", undefined, "no Household section");
  } else {
    householdSection = { AssessmentDate: assessed, AssessedBy: assessedBy };
    if (recording === "no-question") {
      noteGap(w, "parental-status-not-recorded", undefined, "Household without ChildrenQuestion");
      if (p.sex === "F" && rng.chance(0.5))
        householdSection.Pregnant = pregnancy && knownAt(index.person(pregnancy.unborn)) ? "Y" : "N";
      const others = otherAdults();
      if (others.length > 0 && rng.chance(0.5)) householdSection.OtherAdults = others;
    } else if (recording === "declined") {
      noteGap(w, "parental-status-declined");
      householdSection.ChildrenQuestion = "Z";
    } else {
      const kids = [
        ...resident
          .filter(knownAt)
          .map((c) => ({ child: c, lives: true, overnight: undefined as boolean | undefined })),
        ...elsewhere
          .filter((e) => knownAt(e.child))
          .map((e) => ({ child: e.child, lives: false, overnight: e.link.overnight })),
      ];
      const children = kids.map(({ child, lives, overnight }, i) => {
        const childLocalId = `${localPatientId}-K${i + 1}`;
        const cw: Writing = {
          rng,
          log: ctx.log,
          person: child,
          source: "cpa-household",
          record: `${org}/${localPatientId}/${childLocalId}`,
        };
        const n = child.kind === "unborn" ? { given: undefined, family: child.familyName } : writtenName(cw);
        const cnhs = writtenNhsNumber(
          cw,
          { missing: 1 - SHARES.cpaChildNhsPresent, mistyped: SHARES.nhsMistyped },
          ctx.invalidNhs,
        );
        const entry: Rec = { ChildLocalId: childLocalId };
        if (n.given) entry.PersonGivenName = n.given;
        entry.PersonFamilyName = n.family;
        if (cnhs) entry.NHSNumber = cnhs;
        if (child.birthDate) entry.PersonBirthDate = child.birthDate;
        else entry.ExpectedPersonBirthDate = child.expectedBirthDate;
        entry.LivesWithPatient = lives ? "Y" : "N";
        if (!lives) entry.OvernightContact = overnight ? "Y" : "N";
        if (lives && child.kind === "child") {
          const away = index.parentLinksOf(child.id).find((l) => !l.resident);
          if (away) entry.ContactWithOtherParent = rng.chance(0.6) ? "Y" : "N";
        }
        if (child.youngCarerFor.length > 0) {
          if (rng.chance(SHARES.cpaYoungCarerRecorded)) entry.YoungCarer = "Y";
          else {
            entry.YoungCarer = "N";
            noteGap(cw, "young-carer-not-recorded", "Y", "N");
          }
        } else if (child.birthDate && ageOn(child.birthDate, ref) >= 8) entry.YoungCarer = "N";
        const state = ctx.states.get(child.id);
        const involved = state && state.status !== "closed";
        if (rng.chance(SHARES.cpaServicesInvolvedKnown)) {
          entry.ChildrensServicesInvolved = involved ? "Y" : "N";
          if (involved && state) {
            entry.ChildrensServicesLA = state.lea;
            entry.ChildrensServicesType = state.status;
          }
        } else entry.ChildrensServicesInvolved = "U";
        listed.push({ personId: child.id, childLocalId, nhsNumberWritten: cnhs, given: n.given, family: n.family });
        return entry;
      });
      householdSection.ChildrenQuestion = children.length > 0 ? "Y" : "N";
      if (children.length > 0) householdSection.Children = children;
      const others = otherAdults();
      if (others.length > 0) householdSection.OtherAdults = others;
      if (p.sex === "F") {
        const known = pregnancy && knownAt(index.person(pregnancy.unborn));
        householdSection.Pregnant = known ? "Y" : "N";
        if (known) householdSection.ExpectedDeliveryDate = pregnancy.expectedDeliveryDate;
      }
    }
  }

  const record: CpaPatient = {
    OrgIDProv: org,
    MHS001MPI: mpi,
    ...(patInd ? { MHS005PatInd: patInd } : {}),
    MHS006MHCareCoord: assignments.map((a) => ({
      CareProfLocalId: a.c.id,
      CareProfServOrTeamTypeAssoc: a.c.team.type,
      StartDateAssCareCoord: a.from,
      ...(a.to ? { EndDateAssCareCoord: a.to } : {}),
      CareProfName: a.c.name,
      CareProfTeamLocalId: a.c.team.id,
      CareProfTeamName: a.c.team.name,
      ContactPhone: a.c.phone,
      ContactEmail: a.c.email,
    })),
    MHS701CPACareEpisode: [{ CPAEpisodeId: episodeId, StartDateCPA: start, ...(end ? { EndDateCPA: end } : {}) }],
    MHS702CPAReview: reviews.map((d) => ({
      CPAEpisodeId: episodeId,
      CPAReviewDate: d,
      CareProfLocalId: coordinatorAt(assignments, d).id,
    })),
    MHS101Referral: [referralRec],
    ...(householdSection ? { Household: householdSection } : {}),
  };
  return {
    record,
    link: {
      personId: p.id,
      org,
      localPatientId,
      nhsNumberWritten: nhs,
      givenNameWritten: name.given,
      familyNameWritten: name.family,
      birthDateWritten: birthDate,
      uprnWritten: uprn,
      postcodeWritten: address.postcode,
      recording,
      ...(householdSection ? { assessmentDate: assessed } : {}),
      listed,
      episodeOpen: !end,
    },
  };
}

/** The CPA Household relationship code of `other` to the patient. */
function relationshipTo(index: PopulationIndex, patient: Person, other: Person): string {
  if (index.partnerOf(patient.id)?.id === other.id) return "partner";
  if (index.parentLinksOf(patient.id).some((l) => l.parent === other.id)) return "parent";
  const link = index.pop.otherLinks.find(
    (l) => (l.from === patient.id && l.to === other.id) || (l.to === patient.id && l.from === other.id),
  );
  if (link?.kind === "sibling") return "sibling";
  if (link?.kind === "housemate") return "friend";
  return "other";
}

/** Every CPA record, ordered by trust and local id, and the links for the ground truth. */
export function buildCpa(
  index: PopulationIndex,
  rng: Rng,
  log: NoiseLog,
  states: Map<string, CinState>,
  invalidNhs: boolean,
): { patients: CpaPatient[]; links: CpaLink[] } {
  const adults = index.pop.people.filter((p) => p.services.cpa);
  // A fixed share of records leaves parental status unrecorded, and a few are declined.
  const order = rng.fork("cpa/recording").shuffle(adults.map((p) => p.id));
  const notRecorded = Math.round(SHARES.cpaNotRecorded * adults.length);
  const declined = Math.round(SHARES.cpaDeclined * adults.length);
  const recording = new Map<string, CpaRecording>();
  order.forEach((id, i) => {
    const r = rng.fork(`cpa/recording/${id}`);
    recording.set(
      id,
      i < notRecorded
        ? r.chance(SHARES.cpaNotRecordedNoHousehold)
          ? "no-household"
          : "no-question"
        : i < notRecorded + declined
          ? "declined"
          : "answered",
    );
  });
  const staff = new Map(Object.keys(TRUSTS).map((org) => [org, staffFor(rng.fork(`cpa/staff/${org}`), org)]));
  const ctx: BuildCtx = { index, calendar: index.pop.calendar, log, states, invalidNhs, staff, usedIds: new Set() };
  const built = adults.map((p) => buildOne(ctx, rng.fork(`cpa/${p.id}`), p, recording.get(p.id) as CpaRecording));
  built.sort(
    (a, b) => a.link.org.localeCompare(b.link.org) || a.link.localPatientId.localeCompare(b.link.localPatientId),
  );
  return { patients: built.map((b) => b.record), links: built.map((b) => b.link) };
}
