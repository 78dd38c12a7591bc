/**
 * Code lists the synthetic sources use. Source-standard lists come from the reference notes
 * (§1 MHSDS, §2.3 NDTMS, §3.2 CIN); lists marked PROVISIONAL are small plausible lists the
 * notes do not give (docs/SYNTH.md), matching the provisional code systems in profiles/.
 */

/** One ethnic group, as each source codes it (MHSDS/NDTMS letter, DfE CIN code). */
export interface Ethnicity {
  letter: string;
  cin: string;
  weight: number;
  /** Broad group, to choose a mixed code for children of parents from different groups. */
  group: "white" | "mixed" | "asian" | "black" | "chinese" | "other";
}

/** Population weights are illustrative only (roughly an English urban area). */
export const ETHNICITIES: readonly Ethnicity[] = [
  { letter: "A", cin: "WBRI", weight: 68, group: "white" },
  { letter: "B", cin: "WIRI", weight: 1.5, group: "white" },
  { letter: "C", cin: "WOTH", weight: 6, group: "white" },
  { letter: "D", cin: "MWBC", weight: 1, group: "mixed" },
  { letter: "E", cin: "MWBA", weight: 0.6, group: "mixed" },
  { letter: "F", cin: "MWAS", weight: 0.8, group: "mixed" },
  { letter: "G", cin: "MOTH", weight: 0.8, group: "mixed" },
  { letter: "H", cin: "AIND", weight: 3, group: "asian" },
  { letter: "J", cin: "APKN", weight: 4, group: "asian" },
  { letter: "K", cin: "ABAN", weight: 2, group: "asian" },
  { letter: "L", cin: "AOTH", weight: 1.5, group: "asian" },
  { letter: "M", cin: "BCRB", weight: 1.5, group: "black" },
  { letter: "N", cin: "BAFR", weight: 3, group: "black" },
  { letter: "P", cin: "BOTH", weight: 0.6, group: "black" },
  { letter: "R", cin: "CHNE", weight: 1, group: "chinese" },
  { letter: "S", cin: "OOTH", weight: 1.5, group: "other" },
];

export const ethnicityByLetter = (letter: string): Ethnicity =>
  ETHNICITIES.find((e) => e.letter === letter) ?? (ETHNICITIES[0] as Ethnicity);

// ---- MHSDS / CPA (reference notes §1; team, referral source and reason lists PROVISIONAL) ----

/** SourceOfReferralMH (PROVISIONAL subset): GP, health visitor, self, social services, police, emergency department, internal. */
export const MH_REFERRAL_SOURCES = ["A1", "A2", "B1", "C1", "E1", "H1", "P1"] as const;
/** PrimReasonReferralMH (PROVISIONAL subset). */
export const MH_REFERRAL_REASONS = ["01", "04", "05", "10", "11", "14"] as const;
/** ServTeamTypeRefToMH / CareProfServOrTeamTypeAssoc (PROVISIONAL subset). */
export const MH_TEAM_TYPES = ["A05", "A06", "A08", "A10"] as const;

// ---- NDTMS (reference notes §2.3) ----

/** DRUG1 for clients in drug treatment, with weights. */
export const NDTMS_DRUGS: readonly (readonly [string, number])[] = [
  ["1011", 36],
  ["3201", 12],
  ["3200", 14],
  ["5000", 16],
  ["3100", 4],
  ["2200", 4],
  ["1105", 3],
  ["1000", 3],
  ["3406", 2],
  ["9005", 3],
  ["8799", 3],
];
export const NDTMS_ALCOHOL = "7000";
export const NDTMS_NO_DRUG2 = "9996";
export const NDTMS_NO_DRUG3 = "9997";
/** Usual route per substance: 1 inject, 2 sniff, 3 smoke, 4 oral, 5 other. */
export const NDTMS_ROUTE: Readonly<Record<string, readonly string[]>> = {
  "1011": ["1", "3", "3"],
  "3201": ["3"],
  "3200": ["2"],
  "5000": ["3"],
  "3100": ["2", "4", "1"],
  "2200": ["4"],
  "1105": ["4"],
  "1000": ["4", "1"],
  "3406": ["4"],
  "9005": ["4"],
  "8799": ["4", "5"],
  "7000": ["4"],
};
/** MODAL (PROVISIONAL: the older list in the notes, as profiles/CodeSystem-ndtms-modality.json). */
export const NDTMS_DRUG_MODALITIES = ["2", "3", "4", "5", "6", "1", "9"] as const;
export const NDTMS_ALCOHOL_MODALITIES = ["11", "4", "1", "6", "12"] as const;
/** RFLS (PROVISIONAL, as profiles/CodeSystem-ndtms-referral-source.json). */
export const NDTMS_REFERRAL_SOURCES: readonly (readonly [string, number])[] = [
  ["1", 40],
  ["2", 15],
  ["3", 6],
  ["4", 14],
  ["5", 5],
  ["6", 3],
  ["7", 5],
  ["8", 4],
  ["9", 4],
  ["10", 3],
  ["11", 1],
];
/** DISRSN by kind of exit, with the matching MODEXIT. */
export const NDTMS_EXITS: readonly (readonly [{ disrsn: string; modexit: string }, number])[] = [
  [{ disrsn: "1", modexit: "A" }, 22],
  [{ disrsn: "2", modexit: "A" }, 18],
  [{ disrsn: "5", modexit: "A" }, 8],
  [{ disrsn: "6", modexit: "B" }, 30],
  [{ disrsn: "3", modexit: "C" }, 6],
  [{ disrsn: "7", modexit: "B" }, 6],
  [{ disrsn: "8", modexit: "C" }, 6],
  [{ disrsn: "12", modexit: "B" }, 4],
];
/** NATION (ISO 3166 alpha-3) with weights. */
export const NATIONS: readonly (readonly [string, number])[] = [
  ["GBR", 88],
  ["IRL", 2],
  ["POL", 3],
  ["ROU", 2],
  ["IND", 1],
  ["PAK", 1],
  ["NGA", 1],
  ["PRT", 1],
  ["LTU", 1],
];

// ---- CIN census (reference notes §3.2) ----

export const CIN_CATEGORIES: readonly (readonly [string, number])[] = [
  ["NEG", 50],
  ["EMO", 35],
  ["PHY", 7],
  ["SAB", 4],
  ["MUL", 4],
];
/** The assessment factor that goes with each category of abuse. */
export const CATEGORY_FACTOR: Readonly<Record<string, string>> = {
  NEG: "16A",
  EMO: "17A",
  PHY: "18C",
  SAB: "19C",
  MUL: "16A",
};
export const CIN_DISABILITIES = ["MOB", "HAND", "PC", "COMM", "LD", "HEAR", "VIS", "BEH", "AUT", "DDA"] as const;
/** Where referrals come from, for a household without a known adult service. */
export const CIN_REFERRAL_SOURCES: readonly (readonly [string, number])[] = [
  ["6", 28],
  ["2A", 18],
  ["3A", 6],
  ["3B", 5],
  ["3E", 5],
  ["1A", 6],
  ["1C", 3],
  ["1B", 2],
  ["4", 3],
  ["5D", 8],
  ["8", 6],
  ["9", 2],
  ["10", 2],
];
