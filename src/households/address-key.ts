/**
 * Household keys from a FHIR Address: the UPRN (UK Core AddressKey) where known, else the premise part of
 * the address lines (flat and house number, building, street) with the postcode normalised by the
 * `postcode` library. Flats in one building stay apart ("Flat 2, 10 High St" ≠ "Flat 3, 10 High St").
 */
import { toNormalised } from "postcode";

const ADDRESS_KEY_URL = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey";

/** A key by postcode and normalised premise lines. */
export type AddressLineKey = { kind: "address"; postcode: string; premise: string };

/** A household key: by UPRN, or by postcode and normalised premise lines. */
export type HouseholdKey = { kind: "uprn"; uprn: string } | AddressLineKey;

type Ext = { url?: unknown; extension?: unknown; valueString?: unknown; valueCoding?: { code?: unknown } };

/** The UPRN an address carries (UK Core AddressKey of type UPRN), leading zeros dropped, or undefined. */
export function uprnOf(address: Record<string, unknown>): string | undefined {
  const exts = Array.isArray(address.extension) ? (address.extension as Ext[]) : [];
  for (const e of exts) {
    if (e?.url !== ADDRESS_KEY_URL || !Array.isArray(e.extension)) continue;
    const parts = e.extension as Ext[];
    const type = parts.find((p) => p?.url === "type")?.valueCoding?.code;
    const value = parts.find((p) => p?.url === "value")?.valueString;
    if (type !== "UPRN" || typeof value !== "string") continue;
    const digits = value.trim().replace(/^0+/, "");
    if (/^\d{1,12}$/.test(digits)) return digits;
  }
  return undefined;
}

/** Word forms a street line is written in, mapped to one spelling. */
const WORDS: Record<string, string> = {
  rd: "road",
  ave: "avenue",
  av: "avenue",
  ln: "lane",
  dr: "drive",
  cl: "close",
  ct: "court",
  cres: "crescent",
  cresc: "crescent",
  pl: "place",
  sq: "square",
  gdns: "gardens",
  gr: "grove",
  ter: "terrace",
  terr: "terrace",
  apt: "flat",
  apartment: "flat",
};

/** One line in lower case, accents and punctuation gone, common abbreviations written out. */
export function normaliseLine(line: string): string {
  const words = line
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .filter((w) => w !== "");
  // "St" at the end of a line is Street; elsewhere it may be Saint, so it stays.
  return words.map((w, i) => (w === "st" && i === words.length - 1 && i > 0 ? "street" : (WORDS[w] ?? w))).join(" ");
}

/** A house number followed by a street word: the line that ends the premise part of an address. */
const STREET_LINE = /\b\d+[a-z]?\s+[a-z]/;
/** A sub-building at the start of a line ("flat 2", "unit 4b"), which is not a house number and street. */
const SUB_BUILDING = /^(flat|unit|room|studio|maisonette)\s+[a-z0-9]+\s*/;
const isStreetLine = (line: string) => STREET_LINE.test(line.replace(SUB_BUILDING, ""));

/**
 * The premise part of the lines: every line up to and including the first with a house number and a
 * street (so flat, building, number and street, wherever the source broke the lines), without the
 * locality and town that follow. With no such line, all lines but a last one (taken to be the town).
 */
export function premiseOf(lines: readonly string[]): string | undefined {
  const normal = lines.map(normaliseLine).filter((l) => l !== "");
  if (normal.length === 0) return undefined;
  const street = normal.findIndex(isStreetLine);
  const kept = street >= 0 ? normal.slice(0, street + 1) : normal.length > 1 ? normal.slice(0, -1) : normal;
  return kept.join(" ");
}

/** The postcode in its normalised form ("ZZ99 3AA"), or undefined when it is not a valid UK postcode. */
export function normalisedPostcode(postcode: unknown): string | undefined {
  return typeof postcode === "string" ? (toNormalised(postcode) ?? undefined) : undefined;
}

/** The address-line key of an address (postcode and premise), whether or not it also has a UPRN. */
export function addressLineKey(address: Record<string, unknown>): AddressLineKey | undefined {
  const postcode = normalisedPostcode(address.postalCode);
  const lines = Array.isArray(address.line) ? (address.line as unknown[]).filter((l) => typeof l === "string") : [];
  const premise = premiseOf(lines as string[]);
  return postcode && premise ? { kind: "address", postcode, premise } : undefined;
}

/**
 * The household key of an address: its UPRN, else postcode and premise lines. A postcode alone is no
 * key (a postcode covers a street of households), nor are lines without a postcode.
 */
export function householdKeyOf(address: Record<string, unknown>): HouseholdKey | undefined {
  const uprn = uprnOf(address);
  return uprn ? { kind: "uprn", uprn } : addressLineKey(address);
}

/** The key as one string, for ids and comparisons. */
export const keyText = (key: HouseholdKey): string =>
  key.kind === "uprn" ? `uprn|${key.uprn}` : `address|${key.postcode}|${key.premise}`;
