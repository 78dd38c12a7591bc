// Fixtures for the returns tests: a synthetic population (src/synth) sent through the real ingest, with the
// default derivation chain (person index, households, flags), into an in-memory SQLite store (or, with
// TFG_TEST_RETURNS_ON_POSTGRES=1, a fresh schema on the server at TFG_TEST_POSTGRES_URL); the identifiers
// of every stored Patient for the no-identifier scans; and a pseudonym key per return kind.
import { ingest } from "../../src/ingest/ingest-service.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { cinRecords } from "../../src/mapping/sources/cin.js";
import { cpaJsonRecords } from "../../src/mapping/sources/cpa.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { ssdJsonRecords } from "../../src/mapping/sources/ssd.js";
import type { ReturnKeys, ReturnKind } from "../../src/returns/port.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import type { CinYear } from "../../src/synth/config.js";
import { generate } from "../../src/synth/generate.js";
import { textSource } from "../support/map-events.js";
import { freshSchema } from "../support/pg-schema.js";
import { sentBy } from "../support/sender.js";

type Json = Record<string, unknown>;

/** A loaded population: the store and the generated files. */
export interface Loaded {
  store: Store;
  files: { path: string; content: string }[];
  rejected: number;
}

/**
 * The store a population is loaded into: in-memory SQLite; with TFG_TEST_RETURNS_ON_POSTGRES=1 and
 * TFG_TEST_POSTGRES_URL, a fresh schema on that server, dropped when the store closes (the builders on PostgreSQL).
 */
async function openPopulationStore(): Promise<Store> {
  const url = process.env.TFG_TEST_POSTGRES_URL;
  if (process.env.TFG_TEST_RETURNS_ON_POSTGRES !== "1" || !url) return openSqliteStore(":memory:", loadMigrations());
  const schema = await freshSchema(url, "tfg_returns");
  const store = await openPostgresStore(schema.url, loadMigrations());
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await schema.drop();
  };
  return store;
}

const deps = (store: Store) => ({ store, clock: () => new Date("2026-04-20T00:00:00Z") });

/**
 * Generates `households` households for `cinYear` and ingests CPA, NDTMS, CIN and the SSD extract with derivation
 * (the SSD extract carries the addresses and NHS numbers that link children's records to households).
 */
export async function loadPopulation(households: number, seed: string, cinYear: CinYear = 2026): Promise<Loaded> {
  const population = generate({ households, seed, cinYear });
  const store = await openPopulationStore();
  let rejected = 0;
  for (const f of population.files) {
    if (f.path === "cpa/cpa.json") {
      const doc = JSON.parse(f.content) as { Patients: Json[] };
      for (const org of new Set(doc.Patients.map((p) => p.OrgIDProv as string))) {
        const body = JSON.stringify({
          MHS000Header: { OrgIDProvider: org },
          Patients: doc.Patients.filter((p) => p.OrgIDProv === org),
        });
        const r = await ingest(deps(store), mappingFor("cpa"), cpaJsonRecords(textSource(body)), sentBy("cpa", org));
        rejected += r.counts.rejected;
      }
    } else if (f.path.startsWith("ndtms/")) {
      const agency = f.path.slice(6, 11);
      const r = await ingest(
        deps(store),
        mappingFor("ndtms"),
        ndtmsRecords(textSource(f.content)),
        sentBy("ndtms", agency),
      );
      rejected += r.counts.rejected;
    } else if (f.path.startsWith("cin/")) {
      const la = f.path.slice(4, 7);
      const r = await ingest(deps(store), mappingFor("cin"), cinRecords(textSource(f.content)), sentBy("cin", la));
      rejected += r.counts.rejected;
    } else if (f.path.startsWith("ssd/") && f.path.endsWith(".json")) {
      const la = f.path.slice(4, 7);
      const r = await ingest(deps(store), mappingFor("ssd"), ssdJsonRecords(textSource(f.content)), sentBy("ssd", la));
      rejected += r.counts.rejected;
    }
  }
  return { store, files: population.files, rejected };
}

/** Every current resource of `type` (test-only scan). */
export async function allOf(store: Store, resourceType: string): Promise<Json[]> {
  const out: Json[] = [];
  let offset = 0;
  for (;;) {
    const page = await store.search({ resourceType, criteria: [], count: 500, offset, sort: "id" });
    for (const v of page.versions) if (v.resource) out.push(v.resource as Json);
    if (!page.more) return out;
    offset += page.versions.length;
  }
}

/** A key per return kind (distinct secrets), ids like `mh-children-k1`. */
export const testKeys: ReturnKeys = {
  keyFor: (kind: ReturnKind) => ({
    id: `${kind.replace("cin-census-analytic", "cin-an").replace("cin-census", "cin")}-k1`.slice(0, 16),
    secret: new TextEncoder().encode(`test secret for ${kind} returns, 32+ bytes long`),
  }),
};

/** The identifiers an output must never carry, from the stored Patients. */
export interface Identifiers {
  nhsNumbers: Set<string>;
  postcodes: Set<string>;
  fullNames: Set<string>;
  /** Birth dates that are not the first of a month and never a date of anything else in the store. */
  birthDates: Set<string>;
}

const DATE = /^\d{4}-\d{2}-\d{2}/;

/** Collects the identifiers of every stored Patient (and RelatedPerson names). */
export async function identifiersIn(store: Store): Promise<Identifiers> {
  const ids: Identifiers = { nhsNumbers: new Set(), postcodes: new Set(), fullNames: new Set(), birthDates: new Set() };
  const otherDates = new Set<string>();
  const walk = (v: unknown, key: string) => {
    if (typeof v === "string") {
      if (DATE.test(v) && key !== "birthDate") otherDates.add(v.slice(0, 10));
    } else if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  const dobs = new Set<string>();
  for (const type of [
    "Patient",
    "RelatedPerson",
    "EpisodeOfCare",
    "Encounter",
    "Observation",
    "CarePlan",
    "ServiceRequest",
  ]) {
    for (const r of await allOf(store, type)) {
      if (type !== "Patient" && type !== "RelatedPerson") {
        walk(r, "");
        continue;
      }
      for (const i of (r.identifier as Json[] | undefined) ?? [])
        if (i.system === "https://fhir.nhs.uk/Id/nhs-number" && typeof i.value === "string")
          ids.nhsNumbers.add(i.value);
      for (const a of (r.address as Json[] | undefined) ?? [])
        if (typeof a.postalCode === "string") {
          ids.postcodes.add(a.postalCode);
          ids.postcodes.add(a.postalCode.replace(/\s+/g, ""));
        }
      for (const n of (r.name as Json[] | undefined) ?? []) {
        const given = ((n.given as string[] | undefined) ?? []).join(" ");
        const family = typeof n.family === "string" ? n.family : "";
        if (given.length > 1 && family.length > 1) ids.fullNames.add(`${given} ${family}`);
      }
      if (typeof r.birthDate === "string") dobs.add(r.birthDate);
    }
  }
  for (const d of dobs) if (!d.endsWith("-01") && !otherDates.has(d)) ids.birthDates.add(d);
  return ids;
}

/** Every identifier of `ids` found in `text`, as `kind` labels with counts (never the values themselves). */
export function leaks(text: string, ids: Identifiers): Record<string, number> {
  const found: Record<string, number> = {};
  const hit = (kind: string) => {
    found[kind] = (found[kind] ?? 0) + 1;
  };
  for (const v of ids.nhsNumbers) if (text.includes(v)) hit("nhs-number");
  for (const v of ids.postcodes) if (v.length >= 5 && text.includes(v)) hit("postcode");
  for (const v of ids.fullNames) if (text.includes(v)) hit("name");
  for (const v of ids.birthDates) if (text.includes(v)) hit("birth-date");
  return found;
}
