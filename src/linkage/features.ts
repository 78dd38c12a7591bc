/** The parts of a Patient (or of a RelatedPerson known by name and birth date) the linker compares and blocks on, read once per record. */

import type { DerivedResource } from "../derive/port.js";
import { NHS_NUMBER_SYSTEM, TFG_BASE, UKCORE } from "../fhir/canonical.js";
import { isValidNhsNumber } from "../fhir/nhs-number.js";
import { normaliseString } from "../fhir/search-strings.js";

/** What the linker knows of one Patient record, or of one RelatedPerson. */
export interface Features {
  /** `Patient/id` or `RelatedPerson/id`. */
  key: string;
  /** For a RelatedPerson: the `Patient/id` it is related to (someone else, never this person). */
  relatedTo?: string;
  /** Valid NHS numbers (check digit passes). */
  nhs: string[];
  /** Other identifiers, `system|value`: a source's own stable ids. */
  ids: string[];
  /** First given names, normalised (lower case, no accents, letters only). */
  given: string[];
  /** Family names, normalised; hyphenated and double names also as their parts. */
  family: string[];
  /** True when the source gives only initials (NDTMS: `name.use` anonymous, or one-letter names). */
  initialsOnly: boolean;
  birthDate?: string;
  sex?: string;
  /** Postcodes, upper case without spaces. */
  postcodes: string[];
  uprns: string[];
}

type Name = { use?: string; family?: string; given?: string[] };
type Address = {
  postalCode?: string;
  extension?: { url?: string; extension?: { url?: string; valueString?: string }[] }[];
};
type Identifier = { system?: string; value?: string };

/** Letters only, normalised: "O'Brien-Smith" → "obriensmith". */
export const letters = (s: string) => normaliseString(s).replace(/[^a-z]/g, "");

/** Normalised UK postcode: upper case, no spaces. */
export const postcodeKey = (s: string) => s.toUpperCase().replace(/\s+/g, "");

/** The UPRNs an address carries (UK Core AddressKey extension of type UPRN). */
const uprnOf = (a: Address): string[] =>
  (a.extension ?? [])
    .filter((e) => e.url === UKCORE.addressKeyExtension)
    .flatMap((e) => {
      const type = e.extension?.find((x) => x.url === "type") as { valueCoding?: { code?: string } } | undefined;
      const value = e.extension?.find((x) => x.url === "value")?.valueString;
      return type?.valueCoding?.code === "UPRN" && value ? [value] : [];
    });

const RELATED_PATIENT_URL = `${TFG_BASE}/StructureDefinition/related-patient`;

/**
 * True for a RelatedPerson the linker compares with Patients: one that gives a name and a birth date (an SSD
 * related-people row; not a CPA household section's other adult, known by name alone) and does not already name
 * the Patient record it is (`related-patient`: that record stands for it).
 */
export function isLinkableRelatedPerson(r: DerivedResource): boolean {
  const named = Array.isArray(r.name) && (r.name as Name[]).some((n) => n?.family || n?.given?.[0]);
  const extensions = Array.isArray(r.extension) ? (r.extension as { url?: unknown }[]) : [];
  return (
    r.resourceType === "RelatedPerson" &&
    typeof r.birthDate === "string" &&
    named &&
    !extensions.some((e) => e?.url === RELATED_PATIENT_URL)
  );
}

/**
 * The linker's view of a Patient or a RelatedPerson. A RelatedPerson's own identifiers other than its NHS number
 * (the source's id of the related-people row) name the row, not a person the gateway holds records for, so they
 * are not compared.
 */
export function featuresOf(patient: DerivedResource): Features {
  const type = patient.resourceType === "RelatedPerson" ? "RelatedPerson" : "Patient";
  const key = `${type}/${patient.id}`;
  const identifiers = (patient.identifier as Identifier[] | undefined) ?? [];
  const nhs = identifiers
    .filter((i) => i.system === NHS_NUMBER_SYSTEM && typeof i.value === "string" && isValidNhsNumber(i.value))
    .map((i) => i.value as string);
  const ids =
    type === "Patient"
      ? identifiers
          .filter((i) => i.system && i.value && i.system !== NHS_NUMBER_SYSTEM)
          .map((i) => `${i.system}|${i.value}`)
      : [];
  const names = (patient.name as Name[] | undefined) ?? [];
  const given = new Set<string>();
  const family = new Set<string>();
  let initialsOnly = names.length > 0;
  for (const n of names) {
    const g = n.given?.[0] ? letters(n.given[0]) : "";
    if (g) given.add(g);
    const whole = n.family ? letters(n.family) : "";
    if (n.family) {
      if (whole) family.add(whole);
      for (const part of normaliseString(n.family).split(/[\s-]+/)) {
        const p = letters(part);
        if (p && p !== whole) family.add(p);
      }
    }
    const short = g.length <= 1 && whole.length <= 1;
    if (!(n.use === "anonymous" || short)) initialsOnly = false;
  }
  const addresses = (patient.address as Address[] | undefined) ?? [];
  const features: Features = {
    key,
    nhs,
    ids,
    given: [...given],
    family: [...family],
    initialsOnly,
    postcodes: [...new Set(addresses.flatMap((a) => (a.postalCode ? [postcodeKey(a.postalCode)] : [])))],
    uprns: [...new Set(addresses.flatMap(uprnOf))],
  };
  const related = (patient.patient as { reference?: unknown } | undefined)?.reference;
  if (type === "RelatedPerson" && typeof related === "string") features.relatedTo = related;
  if (typeof patient.birthDate === "string") features.birthDate = patient.birthDate.slice(0, 10);
  if (typeof patient.gender === "string" && patient.gender !== "unknown") features.sex = patient.gender;
  return features;
}
