/** Reading what households need from stored records: references, NHS numbers, relationship extensions, periods. */
import type { DerivedResource } from "../derive/port.js";

const SD = "https://think-family-gateway.example/fhir/StructureDefinition";
/** The NHS number identifier system. */
export const NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number";
const SSD_MOTHER_SYSTEM = "https://think-family-gateway.example/fhir/Id/ssd-mother/";

/** A period with optional ISO dates. */
export interface Period {
  start?: string;
  end?: string;
}

type Ext = { url?: unknown; valueBoolean?: unknown; valueReference?: { reference?: unknown }; valueDate?: unknown };

const extensions = (r: Record<string, unknown>): Ext[] =>
  Array.isArray(r.extension) ? (r.extension as Ext[]).filter((e) => e && typeof e === "object") : [];

/** The `Type/id` of a Reference, or undefined. */
export function refOf(value: unknown): string | undefined {
  const ref = (value as { reference?: unknown } | undefined)?.reference;
  return typeof ref === "string" && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(ref) ? ref : undefined;
}

/** The id part of a `Patient/id` reference, or undefined for another type. */
export function patientIdOf(ref: string | undefined): string | undefined {
  return ref?.startsWith("Patient/") ? ref.slice("Patient/".length) : undefined;
}

/** Every NHS number a resource's identifiers carry (with a value). */
export function nhsNumbersOf(r: Record<string, unknown>): string[] {
  const ids = Array.isArray(r.identifier) ? (r.identifier as { system?: unknown; value?: unknown }[]) : [];
  return ids
    .filter((i) => i?.system === NHS_NUMBER_SYSTEM && typeof i.value === "string" && /^\d{10}$/.test(i.value))
    .map((i) => i.value as string);
}

/** The `related-patient` extension of a RelatedPerson: the Patient record the related person is. */
export const relatedPatientOf = (rp: Record<string, unknown>): string | undefined =>
  refOf(extensions(rp).find((e) => e.url === `${SD}/related-patient`)?.valueReference);

/** The `lives-with` extension (true, false, or undefined when not stated). */
export function livesWithOf(rp: Record<string, unknown>): boolean | undefined {
  const v = extensions(rp).find((e) => e.url === `${SD}/lives-with`)?.valueBoolean;
  return typeof v === "boolean" ? v : undefined;
}

const isSsdMother = (rp: Record<string, unknown>) =>
  Array.isArray(rp.identifier) &&
  (rp.identifier as { system?: unknown }[]).some(
    (i) => typeof i?.system === "string" && i.system.startsWith(SSD_MOTHER_SYSTEM),
  );

/**
 * How a RelatedPerson places its patient with the related person: `lives-with` when it says so,
 * `mother` for an `ssd_mother` row that does not say otherwise (a baby lives with its mother), or
 * undefined (not living together, or not said, or no longer active).
 */
export function coResidence(rp: Record<string, unknown>): "lives-with" | "mother" | undefined {
  if (rp.active === false) return undefined;
  const lives = livesWithOf(rp);
  if (lives === true) return "lives-with";
  if (lives === undefined && isSsdMother(rp)) return "mother";
  return undefined;
}

const isDate = (v: unknown): v is string => typeof v === "string" && /^\d{4}(-\d{2}(-\d{2})?)?/.test(v);

/** A resource's `period` (start/end dates kept as written), or an empty period. */
export function periodOf(r: Record<string, unknown> | undefined): Period {
  const p = (r?.period ?? {}) as { start?: unknown; end?: unknown };
  return { ...(isDate(p.start) ? { start: p.start } : {}), ...(isDate(p.end) ? { end: p.end } : {}) };
}

/** The date part (`YYYY-MM-DD` or shorter) of a FHIR date or dateTime, for comparing. */
export const dayOf = (d: string): string => d.slice(0, 10);

/** The intersection of two periods (the later start, the earlier end). */
export function intersect(a: Period, b: Period): Period {
  const start = a.start && b.start ? (dayOf(a.start) >= dayOf(b.start) ? a.start : b.start) : (a.start ?? b.start);
  const end = a.end && b.end ? (dayOf(a.end) <= dayOf(b.end) ? a.end : b.end) : (a.end ?? b.end);
  return { ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

/** Patient references among a Person's links. */
export function personTargets(person: DerivedResource): string[] {
  const links = Array.isArray(person.link) ? (person.link as { target?: unknown }[]) : [];
  return links.map((l) => refOf(l.target)).filter((r): r is string => r !== undefined);
}
