// What the derivation chain made of a population, as plain sorted data (no lastUpdated, no version numbers): the
// Persons' records, the households' members and the Flags, for comparing stores and runtimes. Runtime-neutral.
import { ingestPopulation } from "../../src/linkage-score/ingest-population.js";
import type { Store } from "../../src/store/port.js";
import { generate } from "../../src/synth/generate.js";

type Json = Record<string, unknown>;

/** The population every store and runtime derives from: small, with every source and flag kind present. */
export const DIGEST_POPULATION = { households: 40, seed: "identical-derivation" } as const;

/** The ingest clock (its day is the reference date's next; nothing derived may depend on it). */
export const DIGEST_CLOCK = () => new Date("2026-04-01T12:00:00.000Z");

async function all(store: Store, resourceType: string): Promise<Json[]> {
  const out: Json[] = [];
  let after: { key: string; id: string } | undefined;
  for (;;) {
    const page = await store.search({
      resourceType,
      criteria: [],
      count: 200,
      sort: "id",
      ...(after ? { after } : {}),
    });
    for (const v of page.versions) if (v.resource) out.push(v.resource);
    const last = page.versions.at(-1);
    if (!page.more || !last) return out;
    after = { key: last.id, id: last.id };
  }
}

const ref = (x: unknown) => (x as { reference?: string } | undefined)?.reference ?? "";

/** Ingests {@link DIGEST_POPULATION} into `store` (derivation on) and returns its digest. */
export async function ingestAndDigest(store: Store): Promise<Json> {
  const { files } = generate(DIGEST_POPULATION);
  const ingested = await ingestPopulation(store, files, DIGEST_CLOCK);
  const rejected = ingested.reports.reduce((n, r) => n + r.report.counts.rejected, 0);
  return { rejected, ...(await derivedDigest(store)) };
}

/** The digest of what is stored now. */
export async function derivedDigest(store: Store): Promise<Json> {
  const persons = (await all(store, "Person")).map((p) => ({
    id: p.id,
    records: ((p.link as { target?: unknown; assurance?: string }[] | undefined) ?? [])
      .map((l) => `${ref(l.target)} ${l.assurance ?? "-"}`)
      .sort(),
  }));
  const households = (await all(store, "Group")).map((g) => ({
    id: g.id,
    members: ((g.member as { entity?: unknown; inactive?: boolean; period?: unknown }[] | undefined) ?? [])
      .map((m) => `${ref(m.entity)}${m.inactive ? " inactive" : ""} ${JSON.stringify(m.period ?? {})}`)
      .sort(),
  }));
  const flags = (await all(store, "Flag")).map((f) => ({
    id: f.id,
    code: ((f.code as { coding?: { code?: string }[] } | undefined)?.coding ?? []).map((c) => c.code).join(),
    subject: ref(f.subject),
    status: f.status,
    period: f.period ?? null,
  }));
  const tasks = (await all(store, "Task")).map((t) => ({
    id: t.id,
    status: t.status,
    for: ref(t.for),
    focus: ref(t.focus),
  }));
  return { persons, households, flags, tasks };
}
