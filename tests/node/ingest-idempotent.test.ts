// Re-sending is idempotent on any day and in any encoding: a synthetic population loaded once, then sent again as
// CPA JSON, NDJSON and CSV tables, NDTMS CSV, CIN XML and the SSD case records (JSON and CSV tables, sharing the
// census children's Patients) on the same day and years later, is "unchanged" every time
// and writes no version. The clock is faked (Date only), so a derived value read from it would show as "updated".
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ingest } from "../../src/ingest/ingest-service.js";
import type { IngestReport } from "../../src/ingest/report.js";
import { mappingFor, type SourceName } from "../../src/mapping/registry.js";
import { cinRecords } from "../../src/mapping/sources/cin.js";
import { cpaCsvRecords, cpaJsonRecords, cpaNdjsonRecords } from "../../src/mapping/sources/cpa.js";
import type { SourceEvent } from "../../src/mapping/sources/events.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { ssdCsvRecords, ssdJsonRecords } from "../../src/mapping/sources/ssd.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { generate } from "../../src/synth/generate.js";
import { toCpaCsvTables } from "../support/cpa-csv.js";
import { textSource } from "../support/map-events.js";
import { sentBy } from "../support/sender.js";

const population = generate({ households: 300, seed: "idempotent" });

/**
 * Records that give no date where a derivation needs one (no assessment date; children aged 16–17 on the first day
 * and adults on the second), so a derivation that fell back to the clock would change them between the two days.
 */
const dateless: Record<string, unknown>[] = [
  {
    OrgIDProv: "RX4",
    MHS001MPI: { LocalPatientId: "EDGE1", PersonBirthDate: "1980-02-02" },
    MHS005PatInd: { ParentalResp: "Y", YoungCarer: "Y" },
    Household: {
      ChildrenQuestion: "Y",
      Pregnant: "N",
      Children: [
        { ChildLocalId: "EDGE1-K1", PersonBirthDate: "2010-06-01", LivesWithPatient: "Y", YoungCarer: "Y" },
        {
          ChildLocalId: "EDGE1-K2",
          PersonBirthDate: "2009-09-09",
          LivesWithPatient: "N",
          ChildrensServicesInvolved: "U",
        },
        { ChildLocalId: "EDGE1-K3", LivesWithPatient: "N" },
      ],
    },
  },
  {
    OrgIDProv: "RX4",
    MHS001MPI: { LocalPatientId: "EDGE2" },
    MHS005PatInd: { ParentalResp: "Y" },
    Household: { Children: [{ ChildLocalId: "EDGE2-K1", PersonBirthDate: "2010-01-01", LivesWithPatient: "Y" }] },
  },
  { OrgIDProv: "RX4", MHS001MPI: { LocalPatientId: "EDGE3" }, MHS005PatInd: { YoungCarer: "Y" } },
];

/** Every encoding of the population, as fresh event streams each time it is called. */
function encodings(): { name: string; source: SourceName; events: () => AsyncIterable<SourceEvent> }[] {
  const of = (path: string) => population.files.find((f) => f.path === path)?.content ?? "";
  const under = (dir: string) => population.files.filter((f) => f.path.startsWith(dir));
  return [
    { name: "CPA JSON", source: "cpa", events: () => cpaJsonRecords(textSource(of("cpa/cpa.json"))) },
    { name: "CPA NDJSON", source: "cpa", events: () => cpaNdjsonRecords(textSource(of("cpa/cpa.ndjson"))) },
    {
      name: "CPA CSV tables",
      source: "cpa",
      events: () =>
        cpaCsvRecords(
          Object.fromEntries(under("cpa-csv/").map((f) => [f.path.slice("cpa-csv/".length), textSource(f.content)])),
        ),
    },
    {
      name: "dateless CPA JSON",
      source: "cpa",
      events: () => cpaJsonRecords(textSource(JSON.stringify({ Patients: dateless }))),
    },
    {
      name: "dateless CPA NDJSON",
      source: "cpa",
      events: () => cpaNdjsonRecords(textSource(dateless.map((p) => JSON.stringify(p)).join("\n"))),
    },
    {
      name: "dateless CPA CSV tables",
      source: "cpa",
      events: () =>
        cpaCsvRecords(Object.fromEntries(Object.entries(toCpaCsvTables(dateless)).map(([k, v]) => [k, textSource(v)]))),
    },
    ...under("ndtms/").map((f) => ({
      name: f.path,
      source: "ndtms" as const,
      events: () => ndtmsRecords(textSource(f.content)),
    })),
    ...under("cin/").map((f) => ({
      name: f.path,
      source: "cin" as const,
      events: () => cinRecords(textSource(f.content)),
    })),
    // The LA case records of the same children (one Patient with the census child): JSON, then CSV tables.
    ...under("ssd/").map((f) => ({
      name: f.path,
      source: "ssd" as const,
      events: () => ssdJsonRecords(textSource(f.content)),
    })),
    ...["991", "992"].map((la) => ({
      name: `SSD CSV tables ${la}`,
      source: "ssd" as const,
      events: () =>
        ssdCsvRecords(
          Object.fromEntries(
            under(`ssd-csv/${la}/`).map((f) => [f.path.split("/").pop() as string, textSource(f.content)]),
          ),
        ),
    })),
  ];
}

// The population spans several trusts, agencies and LAs: one feed authorised to submit for all of them.
const send = (store: Store, e: ReturnType<typeof encodings>[number]) =>
  ingest(
    { store, clock: () => new Date(), ownership: () => true },
    mappingFor(e.source),
    e.events(),
    sentBy(e.source, "SYNTH-FEED"),
  );

/** Outcome → count, plus versions written and the first record that changed (for a readable failure). */
const summary = (r: IngestReport) => ({
  outcomes: Object.fromEntries(
    (["created", "updated", "unchanged", "rejected"] as const).map((k) => [k, r.counts[k]]).filter(([, n]) => n !== 0),
  ),
  resourcesWritten: r.counts.resourcesWritten,
  firstChanged: r.records.find((x) => x.outcome !== "unchanged")?.label,
});

describe("re-sending is idempotent on any day and in any encoding", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reports every record unchanged, with no version written, after the first load (300 households)", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    try {
      const all = encodings();
      expect(all.filter((e) => e.source === "ndtms").length).toBeGreaterThan(0);
      expect(all.filter((e) => e.source === "cin").length).toBeGreaterThan(0);

      vi.setSystemTime(new Date("2027-01-15T09:30:00Z"));
      // First load: CPA as JSON, every NDTMS and CIN file.
      for (const e of all.filter((x) => !x.name.includes("NDJSON") && !x.name.includes("CSV tables"))) {
        const r = await send(store, e);
        expect(r.counts.records, e.name).toBeGreaterThan(0);
        expect(r.counts.rejected, e.name).toBe(0);
        // The case records come after the census: they add to its children's Patients ("updated").
        expect(e.source === "ssd" ? r.counts.updated : r.counts.created, e.name).toBeGreaterThan(0);
      }

      const resend = async (day: string) => {
        vi.setSystemTime(new Date(day));
        for (const e of all) {
          const r = await send(store, e);
          expect(r.counts.records, `${e.name} on ${day}`).toBeGreaterThan(0);
          expect(summary(r), `${e.name} on ${day}`).toEqual({
            outcomes: { unchanged: r.counts.records },
            resourcesWritten: 0,
            firstChanged: undefined,
          });
        }
      };
      await resend("2027-01-15T17:00:00Z"); // the same day, other encodings
      await resend("2031-07-01T08:00:00Z"); // years later: ages and "today" differ
    } finally {
      await store.close();
    }
  }, 120_000);
});
