/**
 * The invented geography and organisations of the synthetic population, the options, and every
 * share the generator uses (docs/SYNTH.md explains each one). Organisation codes look like ODS
 * and NDTMS codes but nothing here describes a real organisation.
 */

export const GENERATOR_NAME = "think-family-gateway-synth";
export const GENERATOR_VERSION = "1.1.0";

export type CinYear = 2024 | 2025 | 2026;
export const CIN_YEARS: readonly CinYear[] = [2024, 2025, 2026];

export interface SynthOptions {
  households: number;
  seed: string;
  /** CIN collection year; it also fixes the reference date (31 March) for every source. */
  cinYear: CinYear;
  /**
   * Write mistyped NHS numbers so that they fail the check digit (the gateway rejects those
   * records). Off (the default): mistypes are wrong but valid numbers and every record ingests.
   */
  invalidNhs: boolean;
}

export const DEFAULT_OPTIONS: Omit<SynthOptions, "households"> = { seed: "1", cinYear: 2026, invalidNhs: false };

/** A local authority: its CIN return, NDTMS geography codes, and the services that cover it. */
export interface Area {
  lea: string;
  town: string;
  /** First digit of the inward postcode (`ZZ99 1AB`) used for this area's streets. */
  postcodeDigits: readonly number[];
  ndtms: { dat: string; pct: string; la: string; utla: string };
  /** Mental health trust covering the area, and the trust with the area-wide specialist teams. */
  trust: string;
  /** NDTMS drug treatment agency for the area (alcohol goes to the shared agency more often). */
  agency: string;
  /** Prefix of this LA's LAchildIDs. */
  childIdPrefix: string;
}

export const AREAS: readonly Area[] = [
  {
    lea: "991",
    town: "Eastbridge",
    postcodeDigits: [1, 2, 3, 4],
    ndtms: { dat: "Z91", pct: "ZZ1", la: "99ZA", utla: "E99999991" },
    trust: "RX4",
    agency: "N0852",
    childIdPrefix: "EB",
  },
  {
    lea: "992",
    town: "Northwold",
    postcodeDigits: [5, 6, 7, 8],
    ndtms: { dat: "Z92", pct: "ZZ2", la: "99ZB", utla: "E99999992" },
    trust: "RXE",
    agency: "N0853",
    childIdPrefix: "NW",
  },
];

/** Trusts: the two area trusts and one specialist trust spanning both areas. */
export const TRUSTS: Readonly<Record<string, { name: string; emailDomain: string }>> = {
  RX4: { name: "Eastbridge and Vale Mental Health NHS Trust (synthetic)", emailDomain: "evmh.nhs.example" },
  RXE: { name: "Northwold Partnership NHS Trust (synthetic)", emailDomain: "npt.nhs.example" },
  RXG: { name: "Two Rivers Specialist Mental Health NHS Trust (synthetic)", emailDomain: "trsmh.nhs.example" },
};
export const SPECIALIST_TRUST = "RXG";

/** NDTMS agencies: one drug service per area and one alcohol service across both. */
export const AGENCIES: readonly string[] = ["N0852", "N0853", "N0854"];
export const ALCOHOL_AGENCY = "N0854";

/** Every share the generator uses. Service shares describe an enriched population (docs/SYNTH.md). */
export const SHARES = {
  // household mix
  partnerNotParent: 0.2,
  absentParentInPopulation: 0.45,
  overnightContact: 0.3,
  pregnancy: 0.06,
  pregnancyInServices: 0.12,
  // adult needs and services
  complexHousehold: 0.3,
  mentalHealthNeed: { complex: 0.4, other: 0.12 },
  alcoholNeed: { complex: 0.22, other: 0.05 },
  drugNeed: { complex: 0.22, other: 0.04 },
  onCpaGivenNeed: 0.65,
  inTreatmentGivenNeed: 0.6,
  domesticAbuse: { complex: 0.3, other: 0.05 },
  youngCarer: { singleParent: 0.35, other: 0.12 },
  // children's social care: household risk → the household is open to children's services
  cscBase: 0.04,
  cscPerRisk: 0.22,
  cscMax: 0.85,
  cscChildIncluded: 0.9,
  cpGivenCsc: 0.32,
  // CPA completeness (DOMAIN.md §2; the 2013 inspection)
  cpaNotRecorded: 0.35,
  cpaNotRecordedNoHousehold: 0.55,
  cpaDeclined: 0.05,
  cpaYoungCarerRecorded: 0.5,
  cpaServicesInvolvedKnown: 0.8,
  // NDTMS completeness
  ndtmsPrntstatBlank: 0.08,
  ndtmsPrntstatDeclined: 0.03,
  ndtmsConsentWithheld: 0.03,
  // CIN
  youngCarerFactor: 0.7,
  // identity noise
  cpaNhsMissing: 0.05,
  cpaChildNhsPresent: 0.4,
  ndtmsNhsBlank: 0.2,
  nhsMistyped: 0.025,
  nameVariant: 0.08,
  movedAddress: 0.08,
  dobTransposed: 0.015,
  cpaUprnMissing: 0.1,
  ndtmsUprnBlank: 0.3,
  ethnicityNotStated: 0.04,
} as const;

/** The dates every source is written against. */
export interface Calendar {
  /** CIN ReferenceDate and the end of every reporting period: 31 March of the collection year. */
  referenceDate: string;
  /** First day of the collection year (1 April of the year before). */
  collectionStart: string;
  /** CPA reporting period: the month ending on the reference date. */
  cpaPeriodStart: string;
}

export function calendarFor(year: number): Calendar {
  return {
    referenceDate: `${year}-03-31`,
    collectionStart: `${year - 1}-04-01`,
    cpaPeriodStart: `${year}-03-01`,
  };
}
