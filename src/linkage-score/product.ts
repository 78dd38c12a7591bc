/** Reads what the scorer needs from a store: Patients' identifiers and dates, Persons, household Groups, household-has-children Flags. */

import { uprnOf } from "../households/address-key.js";
import { NHS_NUMBER_SYSTEM, refOf } from "../households/records.js";
import type { Store, StoredVersion } from "../store/port.js";
import type { ProductOutput, ProductRecord } from "./score.js";

const EXPECTED_BIRTH = "https://think-family-gateway.example/fhir/StructureDefinition/expected-birth-date";
const PAGE = 1000;

const parsed = (v: StoredVersion): Record<string, unknown> | undefined => {
  if (v.deleted) return undefined;
  if (v.resource) return v.resource;
  if (v.json === undefined) return undefined;
  return JSON.parse(typeof v.json === "string" ? v.json : new TextDecoder().decode(v.json)) as Record<string, unknown>;
};

/** The date 18 years before `referenceDate` (YYYY-MM-DD): born after it, a person is under 18 on the reference date. */
export function eighteenYearsBefore(referenceDate: string): string {
  const y = Number(referenceDate.slice(0, 4)) - 18;
  return `${String(y).padStart(4, "0")}${referenceDate.slice(4, 10)}`;
}

/** Whether a Patient is a minor on `referenceDate` by its own dates: born less than 18 years before, or unborn. */
export function isMinor(patient: Record<string, unknown>, referenceDate: string): boolean {
  const birth = typeof patient.birthDate === "string" ? patient.birthDate : undefined;
  if (birth) return birth.slice(0, 10) > eighteenYearsBefore(referenceDate);
  const ext = Array.isArray(patient.extension) ? (patient.extension as { url?: unknown }[]) : [];
  return ext.some((e) => e?.url === EXPECTED_BIRTH);
}

/** Walks every current resource of the store once (a scoring tool, not a request path) and collects the product's output. */
export async function readProduct(store: Store, referenceDate: string): Promise<ProductOutput> {
  const recordIds = new Map<string, string>();
  const records = new Map<string, ProductRecord>();
  const persons: string[][] = [];
  const households: string[][] = [];
  let flags: Set<string> | undefined;
  let after: { resourceType: string; id: string } | undefined;
  for (;;) {
    const page = await store.scanCurrent(after, PAGE);
    for (const v of page) {
      const r = parsed(v);
      if (!r) continue;
      if (v.resourceType === "Patient") {
        const ids = Array.isArray(r.identifier) ? (r.identifier as { system?: unknown; value?: unknown }[]) : [];
        for (const i of ids)
          if (typeof i?.system === "string" && typeof i.value === "string" && i.system !== NHS_NUMBER_SYSTEM)
            recordIds.set(`${i.system}|${i.value}`, v.id);
        const addresses = Array.isArray(r.address) ? (r.address as Record<string, unknown>[]) : [];
        records.set(v.id, {
          id: v.id,
          hasNhsNumber: ids.some((i) => i?.system === NHS_NUMBER_SYSTEM && typeof i.value === "string"),
          hasUprn: addresses.some((a) => uprnOf(a) !== undefined),
          uprns: addresses.map(uprnOf).filter((u): u is string => u !== undefined),
          minor: isMinor(r, referenceDate),
        });
      } else if (v.resourceType === "Person") {
        const links = Array.isArray(r.link) ? (r.link as { target?: unknown }[]) : [];
        persons.push(
          links
            .map((l) => refOf(l.target))
            .filter((t): t is string => !!t?.startsWith("Patient/"))
            .map((t) => t.slice(8)),
        );
      } else if (v.resourceType === "Group") {
        const members = Array.isArray(r.member) ? (r.member as { entity?: unknown; inactive?: unknown }[]) : [];
        households.push(
          members
            .filter((m) => m.inactive !== true)
            .map((m) => refOf(m.entity))
            .filter((t): t is string => !!t?.startsWith("Patient/"))
            .map((t) => t.slice(8)),
        );
      } else if (v.resourceType === "Flag") {
        flags ??= new Set();
        const codings = ((r.code as { coding?: { code?: unknown }[] } | undefined)?.coding ?? []) as {
          code?: unknown;
        }[];
        const subject = refOf(r.subject);
        if (
          r.status === "active" &&
          codings.some((c) => c.code === "household-has-children") &&
          subject?.startsWith("Patient/")
        )
          flags.add(subject.slice(8));
      }
    }
    const last = page.at(-1);
    if (page.length < PAGE || !last) break;
    after = { resourceType: last.resourceType, id: last.id };
  }
  return { recordIds, records, persons, households, ...(flags ? { hasChildrenFlags: flags } : {}) };
}
