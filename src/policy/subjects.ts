/** Whom a record is about: the `Patient/id` references a record's subject elements hold (DOMAIN.md §4). */

type Json = Record<string, unknown>;

/** Elements that name the person a record is about, per shape: a reference, or a list of them. */
const SUBJECT_ELEMENTS = ["patient", "subject", "for", "beneficiary", "target"] as const;

const refOf = (v: unknown): string | undefined => {
  const r = (v as { reference?: unknown } | null)?.reference;
  return typeof r === "string" ? r : undefined;
};

const patientRef = (r: string | undefined): r is string => r !== undefined && /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(r);

/**
 * The `Patient/id` keys `resource` is about, sorted and unique: the Patient itself; a reference in `patient`,
 * `subject`, `for`, `beneficiary` or `target` (one or a list); a Group's `member[].entity`; a Person's
 * `link[].target`. A record about no Patient (an Organization, a Practitioner) gives none; so does a reference the
 * gateway cannot read as `Patient/id` (an absolute URL), which leaves the record to its recording organisation.
 */
export function subjectsOf(resource: Json): string[] {
  const out = new Set<string>();
  if (resource.resourceType === "Patient" && typeof resource.id === "string") out.add(`Patient/${resource.id}`);
  for (const name of SUBJECT_ELEMENTS) {
    const v = resource[name];
    for (const item of Array.isArray(v) ? v : [v]) {
      const r = refOf(item);
      if (patientRef(r)) out.add(r);
    }
  }
  const lists: [string, string][] = [
    ["member", "entity"],
    ["link", "target"],
  ];
  for (const [list, field] of lists) {
    const items = resource[list];
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      const r = refOf((item as Json | null)?.[field]);
      if (patientRef(r)) out.add(r);
    }
  }
  return [...out].sort();
}
