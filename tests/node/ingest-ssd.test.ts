// SSD case records through ingest on a real SQLite store (docs/sources/ssd.md): POST /ingest/ssd stores a synthetic
// feed as CSV tables (multipart) and as the JSON document; another LA's file is refused (403) with nothing stored;
// re-sending either form on two clock dates is all "unchanged"; a CIN census return and the SSD feed of the same LA
// give one Patient per child, whichever comes first, and re-sending either changes nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ingest } from "../../src/ingest/ingest-service.js";
import type { IngestReport } from "../../src/ingest/report.js";
import { deterministicId } from "../../src/mapping/ids.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { cinRecords } from "../../src/mapping/sources/cin.js";
import { ssdCsvRecords, ssdJsonRecords } from "../../src/mapping/sources/ssd.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { generate } from "../../src/synth/generate.js";
import { textSource } from "../support/map-events.js";
import { sentBy } from "../support/sender.js";
import { createTestApp } from "../support/test-app.js";

const population = generate({ households: 200, seed: "ssd" });
const file = (path: string) => population.files.find((f) => f.path === path)?.content ?? "";
const csvOf = (la: string) =>
  population.files
    .filter((f) => f.path.startsWith(`ssd-csv/${la}/`))
    .map((f) => ({ name: f.path.split("/").pop() as string, text: f.content }));
const LA = "991";

const viaCsv = (store: Store, la = LA, org = la) =>
  ingest(
    { store, clock: () => new Date() },
    mappingFor("ssd"),
    ssdCsvRecords(Object.fromEntries(csvOf(la).map((t) => [t.name, textSource(t.text)]))),
    sentBy("ssd", org),
  );
const viaJson = (store: Store, la = LA) =>
  ingest(
    { store, clock: () => new Date() },
    mappingFor("ssd"),
    ssdJsonRecords(textSource(file(`ssd/${la}.json`))),
    sentBy("ssd", la),
  );
const viaCin = (store: Store, la = LA) =>
  ingest(
    { store, clock: () => new Date() },
    mappingFor("cin"),
    cinRecords(textSource(file(`cin/${la}_CIN_2026.xml`))),
    sentBy("cin", la),
  );
const outcomes = (r: IngestReport) =>
  Object.fromEntries(
    (["created", "updated", "unchanged", "rejected"] as const).map((k) => [k, r.counts[k]]).filter(([, n]) => n !== 0),
  );
const childIds = () =>
  (JSON.parse(file(`ssd/${LA}.json`)) as { ssd_person: { pers_person_id: string }[] }).ssd_person.map(
    (p) => p.pers_person_id,
  );

async function patients(store: Store) {
  const page = await store.search({ resourceType: "Patient", criteria: [], count: 1000, offset: 0, sort: "id" });
  return page.versions.map((v) => v.resource as Record<string, unknown> & { id: string });
}

describe("SSD ingest", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("stores the synthetic feed over HTTP as multipart CSV tables and finds the JSON document unchanged", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    const t = await createTestApp(store);
    const token = await t.issuer.sign({
      sub: "lcs",
      role: "system",
      org: LA,
      org_type: "la-childrens-services",
      purpose_of_use: "direct-care",
    });
    const form = new FormData();
    for (const { name, text } of csvOf(LA)) form.append(name, new Blob([text], { type: "text/csv" }), name);
    const a = await t.app.request("http://gw.test/ingest/ssd", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: form,
    });
    expect(a.status).toBe(200);
    const ra = (await a.json()) as IngestReport;
    expect(ra.counts.records).toBe(childIds().length);
    expect(outcomes(ra)).toEqual({ created: childIds().length });
    const b = await t.app.request("http://gw.test/ingest/ssd", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: file(`ssd/${LA}.json`),
    });
    expect(b.status).toBe(200);
    expect(outcomes((await b.json()) as IngestReport)).toEqual({ unchanged: childIds().length });
    // An adult services organisation may not send case records.
    const mh = await t.issuer.sign({
      sub: "x",
      role: "system",
      org: "RX4",
      org_type: "mh-trust",
      purpose_of_use: "direct-care",
    });
    const c = await t.app.request("http://gw.test/ingest/ssd", {
      method: "POST",
      headers: { Authorization: `Bearer ${mh}`, "Content-Type": "application/json" },
      body: file(`ssd/${LA}.json`),
    });
    expect(c.status).toBe(403);
    await store.close();
  });

  it("refuses another LA's feed whole (403) and stores nothing", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    await expect(viaCsv(store, "992", LA)).rejects.toMatchObject({ status: 403 });
    expect(await patients(store)).toEqual([]);
    const t = await createTestApp(store);
    const token = await t.issuer.sign({
      sub: "lcs",
      role: "system",
      org: LA,
      org_type: "la-childrens-services",
      purpose_of_use: "direct-care",
    });
    const res = await t.app.request("http://gw.test/ingest/ssd", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: file("ssd/992.json"),
    });
    expect(res.status).toBe(403);
    expect((await res.json()) as Record<string, unknown>).toMatchObject({ resourceType: "OperationOutcome" });
    expect(await patients(store)).toEqual([]);
    await store.close();
  });

  it("is unchanged when re-sent as CSV and as JSON, on the same day and a year later", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    vi.setSystemTime(new Date("2027-01-15T09:30:00Z"));
    const first = await viaCsv(store);
    expect(outcomes(first)).toEqual({ created: childIds().length });
    for (const day of ["2027-01-15T17:00:00Z", "2028-06-30T08:00:00Z"]) {
      vi.setSystemTime(new Date(day));
      for (const r of [await viaCsv(store), await viaJson(store)]) {
        expect(outcomes(r), day).toEqual({ unchanged: childIds().length });
        expect(r.counts.resourcesWritten).toBe(0);
      }
    }
    await store.close();
  });

  it.each([
    ["CIN census first", ["cin", "ssd"]],
    ["SSD feed first", ["ssd", "cin"]],
  ])("gives one Patient per child for a CIN return and an SSD feed of the same LA (%s)", async (_name, order) => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    const send = (s: string) => (s === "cin" ? viaCin(store) : viaCsv(store));
    for (const s of order) expect((await send(s)).counts.rejected).toBe(0);
    const stored = await patients(store);
    const ids = childIds();
    const expected = ids.map((id) => deterministicId("cin", "Patient", ["child", LA, id]));
    // Every child is one Patient; the SSD feed adds its related people only as RelatedPerson, never as Patients.
    expect(stored.map((p) => p.id).sort()).toEqual([...new Set(expected)].sort());
    // The merged Patient keeps what each source gave: the census's LA child id and the case record's name.
    const withName = stored.filter((p) => Array.isArray(p.name));
    expect(withName.length).toBeGreaterThan(ids.length * 0.9);
    for (const p of stored) {
      const systems = (p.identifier as { system: string }[]).map((i) => i.system);
      expect(systems).toContain(`https://think-family-gateway.example/fhir/Id/cin-la-child/${LA}`);
      expect(new Set(systems.map((s) => s)).size).toBe(systems.length);
    }
    expect(
      stored.some((p) =>
        (p.identifier as { system: string }[]).some((i) => i.system === "https://fhir.nhs.uk/Id/nhs-number"),
      ),
    ).toBe(true);
    // Re-sending either file, in either order, changes nothing.
    for (const s of [...order, ...order.reverse()]) {
      const r = await send(s);
      expect(outcomes(r), s).toEqual({ unchanged: r.counts.records });
    }
    await store.close();
  });
});
