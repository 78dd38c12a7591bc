/**
 * NDTMS adult treatment rows (reference notes §2), one per client episode, for the adults in
 * drug or alcohol treatment. Dates keep referral ≤ triage ≤ care plan ≤ modality start ≤
 * modality end ≤ discharge, every client is 18 or over at referral, and every episode is open at
 * some point in the return period. PRNTSTAT/CHILDWTH/PREGNANT come from the true household, with
 * a share blank (`NA`) or declined (15). CONSENT = N rows are written in full for the local
 * gateway return (docs/SYNTH.md); the national return blanks them.
 */
import {
  NATIONS,
  NDTMS_ALCOHOL,
  NDTMS_ALCOHOL_MODALITIES,
  NDTMS_DRUG_MODALITIES,
  NDTMS_DRUGS,
  NDTMS_EXITS,
  NDTMS_NO_DRUG2,
  NDTMS_NO_DRUG3,
  NDTMS_REFERRAL_SOURCES,
  NDTMS_ROUTE,
} from "./codes.js";
import { SHARES } from "./config.js";
import { addDays, addYears, ageOn, maxDate, minDate, randomDate } from "./dates.js";
import { uniqueId } from "./identifiers.js";
import type { Person, PopulationIndex } from "./model.js";
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

/** Column order of the reference notes, then the two local extension columns the national return never carries. */
export const NDTMS_COLUMNS = [
  "FINITIAL",
  "SINITIAL",
  "DOB",
  "SEX",
  "ETHNIC",
  "NATION",
  "REFLD",
  "AGNCY",
  "CLIENTID",
  "EPISODID",
  "CONSENT",
  "PREVTR",
  "PC",
  "ACCMNEED",
  "PRNTSTAT",
  "DAT",
  "PCT",
  "LA",
  "GPPTCE",
  "DRUG1",
  "DRUG1AGE",
  "ROUTE",
  "DRUG2",
  "DRUG3",
  "RFLS",
  "TRIAGED",
  "CPLANDT",
  "INJSTAT",
  "CHILDWTH",
  "PREGNANT",
  "ALCDDAYS",
  "ALCUNITS",
  "DUALDIAG",
  "DISD",
  "DISRSN",
  "MODAL",
  "MODST",
  "MODEND",
  "MODEXIT",
  "EHCSC2",
  "EHCSC3",
  "UTLA",
  "NHSNUM",
  "UPRN",
] as const;

export type NdtmsRow = Partial<Record<(typeof NDTMS_COLUMNS)[number], string>>;

export interface NdtmsLink {
  personId: string;
  agency: string;
  clientId: string;
  episodeIds: string[];
  nhsNumberWritten?: string;
  initialsWritten: string;
  birthDateWritten?: string;
  postcodeWritten: string;
  uprnWritten?: string;
  consent: "Y" | "N";
  prntstatWritten: string[];
}

/** NDTMS PRNTSTAT from the truth: 11 all own children live with the client, 12 some, 13 none, 14 not a parent. */
export function truePrntstat(index: PopulationIndex, p: Person): { code: string; childrenWith: number } {
  const own = index.childLinksOf(p.id).filter((l) => index.person(l.child).kind === "child");
  const withClient = index.minorsIn(p.householdId).filter((c) => c.kind === "child").length;
  if (own.length === 0) return { code: "14", childrenWith: withClient };
  const living = own.filter((l) => l.resident).length;
  return { code: living === own.length ? "11" : living > 0 ? "12" : "13", childrenWith: withClient };
}

interface Episode {
  referral: string;
  triaged: string;
  carePlan?: string;
  modalityStart?: string;
  modalityEnd?: string;
  discharged?: string;
  exit?: { disrsn: string; modexit: string };
}

/** One episode: referral in [from, to], discharge (maybe) in [dischargeFrom, dischargeTo]. */
function episode(rng: Rng, from: string, to: string, ref: string, discharge?: { from: string; to: string }): Episode {
  const referral = randomDate(rng, from, to);
  const triaged = minDate(addDays(referral, rng.int(0, 21)), ref);
  const carePlanOn = addDays(triaged, rng.int(0, 14));
  const carePlan = carePlanOn <= ref ? carePlanOn : undefined;
  const startOn = carePlan ? addDays(carePlan, rng.int(0, 7)) : undefined;
  const modalityStart = startOn && startOn <= ref ? startOn : undefined;
  const e: Episode = { referral, triaged, carePlan, modalityStart };
  if (discharge && modalityStart) {
    const earliest = maxDate(discharge.from, addDays(modalityStart, 14));
    if (earliest <= discharge.to) {
      e.discharged = randomDate(rng, earliest, discharge.to);
      e.modalityEnd = maxDate(modalityStart, addDays(e.discharged, -rng.int(0, 7)));
      e.exit = rng.weighted(NDTMS_EXITS);
    }
  }
  return e;
}

function buildClient(
  index: PopulationIndex,
  rng: Rng,
  log: NoiseLog,
  p: Person,
  usedIds: Set<string>,
  invalidNhs: boolean,
): { rows: NdtmsRow[]; link: NdtmsLink } | undefined {
  const { calendar } = index.pop;
  const ref = calendar.referenceDate;
  const start = calendar.collectionStart;
  const svc = p.services.ndtms;
  if (!svc) return undefined;
  const dob = p.birthDate as string;
  const adultFrom = addYears(dob, 18);
  if (adultFrom > addDays(ref, -3)) return undefined;

  // Episodes: usually one; sometimes an earlier one in the same year, closed, then a re-presentation.
  const episodes: Episode[] = [];
  const twoFrom = maxDate(adultFrom, addDays(start, -180));
  if (rng.chance(0.15) && twoFrom <= addDays(start, 60)) {
    const first = episode(rng, twoFrom, addDays(start, 60), ref, { from: start, to: addDays(start, 150) });
    if (first.discharged) {
      episodes.push(first);
      episodes.push(episode(rng, addDays(first.discharged, 20), addDays(ref, -14), ref, { from: start, to: ref }));
    }
  }
  if (episodes.length === 0) {
    const from = maxDate(adultFrom, addDays(ref, -3 * 365));
    episodes.push(episode(rng, from, addDays(ref, -3), ref, rng.chance(0.4) ? { from: start, to: ref } : undefined));
  }
  // An episode that closed before the period would not be in this return: keep only those open in it.
  const inPeriod = episodes.filter((e) => !e.discharged || e.discharged >= start);

  const clientId = uniqueId(usedIds, () => `C${rng.digits(6)}`);
  const w: Writing = { rng, log, person: p, source: "ndtms", record: `${svc.agency}/${clientId}` };
  const household = index.household(p.householdId);
  const area = household.address.area;
  const name = writtenName(w);
  const birthDate = writtenBirthDate(w, ref) as string;
  const address = writtenAddress(w, household);
  const nhs = writtenNhsNumber(w, { missing: SHARES.ndtmsNhsBlank, mistyped: SHARES.nhsMistyped }, invalidNhs);
  let uprn: string | undefined = address.uprn;
  if (rng.chance(SHARES.ndtmsUprnBlank)) {
    noteGap(w, "uprn-missing", address.uprn);
    uprn = undefined;
  }
  const consent = rng.chance(SHARES.ndtmsConsentWithheld) ? "N" : "Y";
  if (consent === "N") noteGap(w, "consent-withheld");
  let ethnic = p.ethnicity.letter;
  if (rng.chance(SHARES.ethnicityNotStated)) {
    ethnic = "Z";
    noteGap(w, "ethnicity-not-stated", p.ethnicity.letter, ethnic);
  }
  const nation = rng.weighted(NATIONS);
  const gp = `Z99${rng.digits(3)}`;
  const truth = truePrntstat(index, p);
  const pregnancy = index.pop.pregnancies.find((g) => g.mother === p.id);
  const drug1 = svc.primary === "alcohol" ? NDTMS_ALCOHOL : rng.weighted(NDTMS_DRUGS);
  const other = svc.primary === "drugs" && rng.chance(0.3) ? rng.weighted(NDTMS_DRUGS) : undefined;
  const drug2 = svc.alsoAlcohol ? NDTMS_ALCOHOL : other !== drug1 ? other : undefined;
  const route = rng.pick(NDTMS_ROUTE[drug1] ?? ["4"]);
  const prevTreated = rng.chance(0.4) ? "Y" : "N";
  const prntstat: string[] = [];

  const rows = inPeriod.map((e) => {
    const episodeId = uniqueId(usedIds, () => `E${rng.digits(7)}`);
    const age = ageOn(dob, e.referral);
    let parental = truth.code;
    let childrenWith: string = String(truth.childrenWith);
    const roll = rng.float();
    if (roll < SHARES.ndtmsPrntstatBlank) {
      parental = "NA";
      childrenWith = "NA";
      noteGap(w, "parental-status-not-recorded", truth.code, "NA");
    } else if (roll < SHARES.ndtmsPrntstatBlank + SHARES.ndtmsPrntstatDeclined) {
      parental = "15";
      childrenWith = "NA";
      noteGap(w, "parental-status-declined", truth.code, "15");
    }
    prntstat.push(parental);
    const until = e.discharged ?? ref;
    const pregnant =
      p.sex !== "F"
        ? "NA"
        : pregnancy && addDays(pregnancy.expectedDeliveryDate, -196) <= until && pregnancy.expectedDeliveryDate > until
          ? "Y"
          : "N";
    const alcoholDays =
      drug1 === NDTMS_ALCOHOL
        ? rng.int(8, 28)
        : drug2 === NDTMS_ALCOHOL
          ? rng.int(4, 20)
          : rng.chance(0.3)
            ? rng.int(1, 6)
            : 0;
    const row: NdtmsRow = {
      FINITIAL: (name.given ?? "X").slice(0, 1).toUpperCase(),
      SINITIAL:
        name.family
          .replace(/[^A-Za-z]/g, "")
          .slice(0, 1)
          .toUpperCase() || "X",
      DOB: birthDate,
      SEX: p.sex === "F" ? "2" : "1",
      ETHNIC: ethnic,
      NATION: nation,
      REFLD: e.referral,
      AGNCY: svc.agency,
      CLIENTID: clientId,
      EPISODID: episodeId,
      CONSENT: consent,
      PREVTR: prevTreated,
      PC: address.postcode,
      ACCMNEED: rng.weighted([
        ["3", 80],
        ["2", 15],
        ["1", 5],
      ]),
      PRNTSTAT: parental,
      DAT: area.ndtms.dat,
      PCT: area.ndtms.pct,
      LA: area.ndtms.la,
      GPPTCE: gp,
      DRUG1: drug1,
      DRUG1AGE: String(Math.max(10, Math.min(age, drug1 === NDTMS_ALCOHOL ? rng.int(12, 22) : rng.int(13, 30)))),
      ROUTE: route,
      DRUG2: drug2 ?? NDTMS_NO_DRUG2,
      DRUG3: NDTMS_NO_DRUG3,
      RFLS: rng.weighted(NDTMS_REFERRAL_SOURCES),
      TRIAGED: e.triaged,
      CPLANDT: e.carePlan,
      INJSTAT: route === "1" ? "C" : svc.primary === "drugs" && rng.chance(0.15) ? "P" : "N",
      CHILDWTH: childrenWith,
      PREGNANT: pregnant,
      ALCDDAYS: String(alcoholDays),
      ALCUNITS: alcoholDays > 0 ? String(drug1 === NDTMS_ALCOHOL ? rng.int(10, 60) : rng.int(4, 24)) : undefined,
      DUALDIAG: rng.chance(0.1) ? undefined : p.services.cpa ? "Y" : "N",
      DISD: e.discharged,
      DISRSN: e.exit?.disrsn,
      MODAL: e.modalityStart
        ? rng.pick(svc.primary === "alcohol" ? NDTMS_ALCOHOL_MODALITIES : NDTMS_DRUG_MODALITIES)
        : undefined,
      MODST: e.modalityStart,
      MODEND: e.modalityEnd,
      MODEXIT: e.exit?.modexit,
      UTLA: area.ndtms.utla,
      NHSNUM: nhs,
      UPRN: uprn,
    };
    return row;
  });
  if (rows.length === 0) return undefined;
  return {
    rows,
    link: {
      personId: p.id,
      agency: svc.agency,
      clientId,
      episodeIds: rows.map((r) => r.EPISODID as string),
      nhsNumberWritten: nhs,
      initialsWritten: `${rows[0]?.FINITIAL}${rows[0]?.SINITIAL}`,
      birthDateWritten: birthDate,
      postcodeWritten: address.postcode,
      uprnWritten: uprn,
      consent,
      prntstatWritten: prntstat,
    },
  };
}

/** Rows per agency (sorted by client and episode id) and the links for the ground truth. */
export function buildNdtms(
  index: PopulationIndex,
  rng: Rng,
  log: NoiseLog,
  invalidNhs: boolean,
): { rows: NdtmsRow[]; links: NdtmsLink[] } {
  const usedIds = new Set<string>();
  const rows: NdtmsRow[] = [];
  const links: NdtmsLink[] = [];
  for (const p of index.pop.people) {
    if (!p.services.ndtms) continue;
    const built = buildClient(index, rng.fork(`ndtms/${p.id}`), log, p, usedIds, invalidNhs);
    if (!built) {
      p.services.ndtms = undefined;
      continue;
    }
    rows.push(...built.rows);
    links.push(built.link);
  }
  rows.sort(
    (a, b) =>
      (a.AGNCY as string).localeCompare(b.AGNCY as string) ||
      (a.CLIENTID as string).localeCompare(b.CLIENTID as string) ||
      (a.EPISODID as string).localeCompare(b.EPISODID as string),
  );
  links.sort((a, b) => a.agency.localeCompare(b.agency) || a.clientId.localeCompare(b.clientId));
  return { rows, links };
}
