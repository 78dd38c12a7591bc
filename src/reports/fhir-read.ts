/** Small readers over stored FHIR JSON the reports share: codings, references, parsed versions, chunks. */
import type { StoredVersion } from "../store/port.js";

/** A FHIR resource as the reports read it. */
export type Json = Record<string, unknown>;

/** The resource of a stored version (parsed from its JSON when needed), or undefined for a delete. */
export function resourceOf(v: StoredVersion | undefined): Json | undefined {
  if (!v || v.deleted) return undefined;
  if (v.resource) return v.resource;
  if (v.json === undefined) return undefined;
  return JSON.parse(typeof v.json === "string" ? v.json : new TextDecoder().decode(v.json)) as Json;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Every coding of a CodeableConcept (or an array of them). */
export function codings(concept: unknown): { system?: string; code?: string }[] {
  return asArray(concept).flatMap((c) => asArray((c as { coding?: unknown } | null)?.coding)) as {
    system?: string;
    code?: string;
  }[];
}

/** The first code of `system` in a CodeableConcept (or an array of them). */
export function codeIn(concept: unknown, system: string): string | undefined {
  return codings(concept).find((c) => c?.system === system && typeof c.code === "string")?.code;
}

/** A `reference` string (`Type/id`) of a Reference, if it has one. */
export function referenceOf(ref: unknown): string | undefined {
  const r = (ref as { reference?: unknown } | null)?.reference;
  return typeof r === "string" ? r : undefined;
}

/** `Type/id` split, or undefined when `ref` is not a relative reference. */
export function splitReference(ref: string): { resourceType: string; id: string } | undefined {
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
  return m ? { resourceType: m[1] as string, id: m[2] as string } : undefined;
}

/** `items` in runs of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A date or dateTime cut to its day (`YYYY-MM-DD`), for comparing with the day of a report. */
export const dayOf = (value: unknown): string | undefined =>
  typeof value === "string" && /^\d{4}(-\d{2}(-\d{2})?)?/.test(value) ? value.slice(0, 10) : undefined;
