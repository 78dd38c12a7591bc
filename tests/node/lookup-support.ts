// Lookup test support: a real app over SQLite with a small synthetic population (npm run synth's generator) sent
// through POST /ingest (CPA, NDTMS, CIN census, SSD), so persons, households and flags are derived by the chain; and
// an oracle that finds, straight from the store, a child open to an LA living with an adult in adult services.
import { expect } from "vitest";
import { ownersOf } from "../../src/auth/ownership.js";
import type { IngestReport } from "../../src/ingest/report.js";
import type { Logger } from "../../src/log/logger.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { generate } from "../../src/synth/generate.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

type Rec = Record<string, unknown> & { id: string };

/** The instant the tests run at (the synthetic population's reference period). */
export const TODAY = new Date("2026-04-15T10:00:00.000Z");
const EPISODE_TYPE = "https://think-family-gateway.example/fhir/CodeSystem/episode-type";

async function send(t: TestApp, source: string, body: string, type: string, org: string, orgType: string) {
  const token = await t.issuer.sign({
    sub: `feed-${org}`,
    org,
    org_type: orgType,
    role: "system",
    purpose_of_use: "direct-care",
  });
  const res = await t.app.request(`http://gw.test/ingest/${source}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": type },
    body,
  });
  expect(res.status).toBe(200);
  const report = (await res.json()) as IngestReport;
  expect(report.counts.rejected).toBe(0);
  return report;
}

/** A test app with `households` synthetic households ingested. */
export async function ingestedApp(
  options: { households?: number; seed?: string; logger?: Logger; wrap?: (s: Store) => Store } = {},
): Promise<TestApp> {
  const store = await openSqliteStore(":memory:", loadMigrations());
  const t = await createTestApp(
    options.wrap ? options.wrap(store) : store,
    { TFG_INGEST_SUBMITTERS: '{"RX4":["RXE","RXG","RX3","RXA","RXT"]}' },
    { clock: () => TODAY, ...(options.logger ? { logger: options.logger } : {}) },
  );
  const { households = 100, seed = "lookups" } = options;
  const { files } = generate({ households, seed });
  for (const f of files) {
    if (f.path === "cpa/cpa.json") await send(t, "cpa", f.content, "application/json", "RX4", "mh-trust");
    else if (f.path.startsWith("ndtms/"))
      await send(t, "ndtms", f.content, "text/csv", f.path.slice(6, 11), "drug-alcohol-service");
    else if (f.path.startsWith("cin/"))
      await send(t, "cin", f.content, "application/xml", f.path.slice(4, 7), "la-childrens-services");
    else if (f.path.startsWith("ssd/"))
      await send(t, "ssd", f.content, "application/json", f.path.slice(4, 7), "la-childrens-services");
  }
  return t;
}

const all = async (store: Store, type: string): Promise<Rec[]> =>
  (await store.search({ resourceType: type, criteria: [], count: 100_000, sort: "id" })).versions.map(
    (v) => v.resource as Rec,
  );

const typesOf = (ep: Rec) =>
  ((ep.type as { coding?: { system?: string; code?: string }[] }[] | undefined) ?? []).flatMap((c) =>
    (c.coding ?? []).filter((x) => x.system === EPISODE_TYPE).map((x) => x.code),
  );
const open = (ep: Rec) =>
  !["finished", "cancelled", "entered-in-error"].includes(ep.status as string) &&
  !(ep.period as { end?: string } | undefined)?.end;
const refOf = (v: unknown) => (v as { reference?: string } | undefined)?.reference;

/** One household the oracle found: a child open to `la`, an adult with an open adult-service episode of `trust`. */
export interface FamilyCase {
  group: string;
  child: Rec;
  la: string;
  adult: Rec;
  episode: Rec;
  trust: string;
}

/** Every (child open to an LA, adult in adult services) pair sharing a current household, from the store alone. */
export async function familyCases(store: Store): Promise<FamilyCase[]> {
  const patients = new Map((await all(store, "Patient")).map((p) => [`Patient/${p.id}`, p]));
  const episodes = await all(store, "EpisodeOfCare");
  const byPatient = new Map<string, Rec[]>();
  for (const ep of episodes.filter(open)) {
    const k = refOf(ep.patient) as string;
    byPatient.set(k, [...(byPatient.get(k) ?? []), ep]);
  }
  const out: FamilyCase[] = [];
  for (const g of await all(store, "Group")) {
    const members = ((g.member as Rec[] | undefined) ?? [])
      .filter((m) => m.inactive !== true && !(m.period as { end?: string } | undefined)?.end)
      .map((m) => refOf(m.entity) as string);
    for (const c of members) {
      const child = patients.get(c);
      if (!child || typeof child.birthDate !== "string" || child.birthDate <= "2008-04-15") continue;
      const cin = (byPatient.get(c) ?? []).find((e) =>
        typesOf(e).some((t) => ["child-in-need", "child-protection", "looked-after"].includes(t as string)),
      );
      if (!cin) continue;
      for (const a of members) {
        const adult = patients.get(a);
        if (!adult || a === c || typeof adult.birthDate !== "string" || adult.birthDate > "2008-04-15") continue;
        for (const ep of (byPatient.get(a) ?? []).filter((e) =>
          typesOf(e).some((t) => t === "cpa" || t === "drug-alcohol-treatment"),
        ))
          out.push({
            group: g.id,
            child,
            la: ownersOf(cin)[0] as string,
            adult,
            episode: ep,
            trust: ownersOf(ep)[0] as string,
          });
      }
    }
  }
  return out;
}

/** A logger that keeps every line (JSON) it is given. */
export function capturingLogger(lines: string[] = []): Logger & { lines: string[] } {
  const log = (level: string) => (obj: Record<string, unknown>, msg?: string) =>
    void lines.push(JSON.stringify({ level, ...obj, msg }));
  const logger: Logger & { lines: string[] } = {
    lines,
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    child: (bindings) => {
      const c = capturingLogger(lines);
      const wrap = (f: Logger["info"]) => (obj: Record<string, unknown>, msg?: string) =>
        f({ ...bindings, ...obj }, msg);
      return { ...c, debug: wrap(c.debug), info: wrap(c.info), warn: wrap(c.warn), error: wrap(c.error) };
    },
  };
  return logger;
}
