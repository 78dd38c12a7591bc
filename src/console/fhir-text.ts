/** Plain-text renderings of the FHIR values console pages show: names, identifiers, codings, references, telecoms. */

type Json = Record<string, unknown>;
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** A HumanName as text ("Given Family"), or undefined. */
export function nameText(resource: Json | undefined): string | undefined {
  const n = arr(resource?.name)[0];
  if (!n) return undefined;
  if (typeof n.text === "string") return n.text;
  const given = Array.isArray(n.given) ? (n.given as string[]).join(" ") : "";
  return [given, typeof n.family === "string" ? n.family : ""].filter(Boolean).join(" ") || undefined;
}

/** The first coding's display or code of a CodeableConcept (or of the first of a list). */
export function conceptText(v: unknown): string | undefined {
  const c = (Array.isArray(v) ? v[0] : v) as Json | undefined;
  if (!c) return undefined;
  if (typeof c.text === "string") return c.text;
  const coding = arr(c.coding)[0];
  return (coding?.display as string | undefined) ?? (coding?.code as string | undefined);
}

/** Telecom entries as "system: value". */
export const telecomText = (resource: Json | undefined): string[] =>
  arr(resource?.telecom)
    .filter((t) => typeof t.value === "string")
    .map((t) => `${String(t.system ?? "contact")}: ${String(t.value)}`);

/** The owning organisation's code (meta.tag of the record-owner system) or a managing organisation identifier. */
export function ownerText(resource: Json | undefined): string | undefined {
  const tag = arr((resource?.meta as Json | undefined)?.tag).find((t) => String(t.system).endsWith("record-owner"));
  if (typeof tag?.code === "string") return tag.code;
  const m = resource?.managingOrganization as { identifier?: { value?: string }; display?: string } | undefined;
  return m?.display ?? m?.identifier?.value;
}

/** A period as "start to end" (either may be open). */
export function periodText(v: unknown): string | undefined {
  const p = v as { start?: string; end?: string } | undefined;
  if (!p?.start && !p?.end) return undefined;
  return `${p.start ?? "?"} to ${p.end ?? "now"}`;
}
