/** The parts of a Patient the linker compares and blocks on, read once per record. */

import type { DerivedResource } from "../derive/port.js";
import { NHS_NUMBER_SYSTEM, UKCORE } from "../fhir/canonical.js";
import { isValidNhsNumber } from "../fhir/nhs-number.js";
import { normaliseString } from "../fhir/search-strings.js";

/** What the linker knows of one Patient record. */
export interface Features {
  key: string;
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

/** The linker's view of a Patient. */
export function featuresOf(patient: DerivedResource): Features {
  const key = `Patient/${patient.id}`;
  const identifiers = (patient.identifier as Identifier[] | undefined) ?? [];
  const nhs = identifiers
    .filter((i) => i.system === NHS_NUMBER_SYSTEM && typeof i.value === "string" && isValidNhsNumber(i.value))
    .map((i) => i.value as string);
  const ids = identifiers
    .filter((i) => i.system && i.value && i.system !== NHS_NUMBER_SYSTEM)
    .map((i) => `${i.system}|${i.value}`);
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
  if (typeof patient.birthDate === "string") features.birthDate = patient.birthDate.slice(0, 10);
  if (typeof patient.gender === "string" && patient.gender !== "unknown") features.sex = patient.gender;
  return features;
}
