// Fixtures for the flags tests: a real SQLite store, real ingest of small hand-made source files, hand-built
// Person and Group resources where the person index and households would write them, and a derive-and-commit step
// that keeps only changed content (as the derivation runner does), so re-deriving shows what would be written.

import type { DerivedResource, DeriveOutput, Deriver } from "../../src/derive/port.js";
import { storeView } from "../../src/derive/store-view.js";
import { nhsCheckDigit } from "../../src/fhir/nhs-number.js";
import { prepareWrite } from "../../src/fhir/resource-service.js";
import { SERVED_TYPES } from "../../src/fhir/served-types.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import { sameContent } from "../../src/ingest/same-content.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { cinRecords } from "../../src/mapping/sources/cin.js";
import { cpaJsonRecords } from "../../src/mapping/sources/cpa.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { ssdJsonRecords } from "../../src/mapping/sources/ssd.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { textSource } from "../support/map-events.js";
import { sentBy } from "../support/sender.js";

/** A fresh in-memory SQLite store with every migration. */
export const openStore = () => openSqliteStore(":memory:", loadMigrations());

/** A valid test-range NHS number from a six-digit serial (999 + serial + check digit). */
export function nhs(serial: number): string {
  for (let s = serial; ; s++) {
    const nine = `999${String(s).padStart(6, "0")}`;
    const check = nhsCheckDigit(nine);
    if (check !== undefined) return `${nine}${check}`;
  }
}

// Ingest here stores the source records only (no derivation chain): these tests build the Person and Group resources
// by hand and run the flags deriver themselves, so each rule is seen on its own.
const deps = (store: Store) => ({ store, clock: () => new Date("2030-01-01T00:00:00Z"), derivers: [] });

export async function ingestCpa(store: Store, patients: Record<string, unknown>[], org = "RX4") {
  const doc = { MHS000Header: { OrgIDProvider: org }, Patients: patients };
  return ingest(deps(store), mappingFor("cpa"), cpaJsonRecords(textSource(JSON.stringify(doc))), sentBy("cpa", org));
}

export async function ingestNdtms(store: Store, csv: string, agency = "N0852") {
  return ingest(deps(store), mappingFor("ndtms"), ndtmsRecords(textSource(csv)), sentBy("ndtms", agency));
}

export async function ingestSsd(store: Store, tables: Record<string, unknown[]>, la = "201") {
  const doc = { tfg_extract: [{ la_code: la }], ...tables };
  return ingest(deps(store), mappingFor("ssd"), ssdJsonRecords(textSource(JSON.stringify(doc))), sentBy("ssd", la));
}

export async function ingestCin(store: Store, xml: string, la = "201") {
  return ingest(deps(store), mappingFor("cin"), cinRecords(textSource(xml)), sentBy("cin", la));
}

/** The id of the Patient with identifier `system|value`. */
export async function patientId(store: Store, system: string, value: string): Promise<string> {
  const page = await store.search({
    resourceType: "Patient",
    criteria: [{ kind: "token", param: "identifier", values: [{ system, value }] }],
    count: 2,
    sort: "id",
  });
  const id = page.versions[0]?.id;
  if (!id || page.versions.length > 1) throw new Error(`expected one Patient ${system}|${value}`);
  return id;
}

const INSTANT = "2031-01-01T00:00:00.000Z";

/** Writes `resource` whole at its next version (a fixture the person index or households would write). */
export async function put(store: Store, resource: DerivedResource): Promise<void> {
  const current = await store.read(resource.resourceType, resource.id);
  const version = current ? current.versionId + 1 : 1;
  await store.commit({ resources: [prepareWrite(resource.resourceType, resource.id, version, INSTANT, resource)] });
}

/** Deletes `Type/id`. */
export async function remove(store: Store, key: string): Promise<void> {
  const [type, id] = key.split("/") as [string, string];
  const current = await store.read(type, id);
  if (!current) return;
  await store.commit({ resources: [prepareWrite(type, id, current.versionId + 1, INSTANT, undefined)] });
}

/** Current version of every resource (a test-only scan): `Type/id` → versionId. */
export async function snapshot(store: Store): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const resourceType of SERVED_TYPES) {
    let offset = 0;
    for (;;) {
      const page = await store.search({ resourceType, criteria: [], count: 500, offset, sort: "id" });
      for (const v of page.versions) out.set(`${resourceType}/${v.id}`, v.versionId);
      if (!page.more) break;
      offset += page.versions.length;
    }
  }
  return out;
}

/** Keys created, changed or deleted between two snapshots, sorted. */
export function changed(before: Map<string, number>, after: Map<string, number>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

/** A Person linking Patient records (as the person index writes it). */
export const person = (id: string, patients: string[]): DerivedResource => ({
  resourceType: "Person",
  id,
  meta: { source: "urn:tfg:derived:person-index" },
  link: patients.map((p) => ({ target: { reference: `Patient/${p}` }, assurance: "level3" })),
});

/** A household Group (as the households deriver writes it). */
export const household = (
  id: string,
  members: { patient: string; start?: string; end?: string; inactive?: boolean }[],
): DerivedResource => ({
  resourceType: "Group",
  id,
  meta: { source: "urn:tfg:derived:households" },
  type: "person",
  actual: true,
  member: members.map((m) => ({
    entity: { reference: `Patient/${m.patient}` },
    ...(m.start || m.end
      ? { period: { ...(m.start ? { start: m.start } : {}), ...(m.end ? { end: m.end } : {}) } }
      : {}),
    ...(m.inactive ? { inactive: true } : {}),
  })),
});

/** Runs `deriver` over the committed store with `touched`, and commits what changed (as the runner would). */
export async function deriveAndCommit(
  store: Store,
  deriver: Deriver,
  touched: readonly string[],
): Promise<{ output: DeriveOutput; written: string[] }> {
  const output = await deriver.derive({ view: storeView(store), touched });
  const written: string[] = [];
  const writes = [];
  for (const r of output.resources) {
    const current = await store.read(r.resourceType, r.id);
    const stored = current && !current.deleted ? (current.resource as Record<string, unknown> | undefined) : undefined;
    const body = r.resourceType === "Provenance" && r.recorded === undefined ? { ...r, recorded: INSTANT } : r;
    if (stored && sameContent(stored, body)) continue;
    writes.push(prepareWrite(r.resourceType, r.id, (current?.versionId ?? 0) + 1, INSTANT, body));
    written.push(`${r.resourceType}/${r.id}`);
  }
  if (writes.length > 0) await store.commit({ resources: writes });
  return { output, written };
}

/** The flags stored on Patient `subject`: code → status and period. */
export async function flagsOn(
  store: Store,
  subject: string,
): Promise<Record<string, { status: string; period: unknown }>> {
  const page = await store.search({
    resourceType: "Flag",
    criteria: [{ kind: "reference", param: "subject", targets: [`Patient/${subject}`] }],
    count: 100,
    sort: "id",
  });
  const out: Record<string, { status: string; period: unknown }> = {};
  for (const v of page.versions) {
    const f = v.resource as { status: string; period: unknown; code: { coding: { code: string }[] } };
    out[f.code.coding[0]?.code as string] = { status: f.status, period: f.period };
  }
  return out;
}

/** Only the statuses of {@link flagsOn}. */
export async function statusesOn(store: Store, subject: string): Promise<Record<string, string>> {
  const all = await flagsOn(store, subject);
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.status]));
}
