// Completeness report, decision table: which episodes are open, which parental statuses count as recorded
// (absent or blank is not-recorded, DOMAIN.md §2), what counts as pregnancy and young-carer asked; real SQLite.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completenessSummary, notRecordedEpisodes } from "../../src/reports/completeness.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openPgliteStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { careTeam, episode, parentalStatus, patient, provenance, put, youngCarer } from "./reports-fixtures.js";

const TODAY = "2026-04-15";

interface Case {
  name: string;
  org?: string;
  type?: "cpa" | "drug-alcohol-treatment";
  status?: string;
  end?: string;
  /** A parental state, `blank` (an Observation without a state) or `absent` (no Observation). */
  parental: string;
  pregnancy?: "pregnant" | "not-pregnant";
  youngCarer?: "patient" | "child" | "no-answer-false";
  /** false: no ingest Provenance names the episode (written over REST). */
  provenance?: boolean;
  team?: boolean;
  open: boolean;
  recorded: boolean;
  listedAs?: "not-recorded" | "absent";
}

const CASES: Case[] = [
  {
    name: "a1",
    parental: "children-in-household",
    pregnancy: "pregnant",
    youngCarer: "child",
    team: true,
    open: true,
    recorded: true,
  },
  { name: "a2", parental: "children-elsewhere", team: true, open: true, recorded: true },
  {
    name: "a3",
    parental: "no-children",
    pregnancy: "not-pregnant",
    youngCarer: "no-answer-false",
    team: true,
    open: true,
    recorded: true,
  },
  { name: "a4", parental: "declined", youngCarer: "patient", team: true, open: true, recorded: true },
  { name: "a5", parental: "not-recorded", team: true, open: true, recorded: false, listedAs: "not-recorded" },
  { name: "a6", parental: "absent", team: true, open: true, recorded: false, listedAs: "absent" },
  { name: "a7", parental: "blank", team: true, open: true, recorded: false, listedAs: "not-recorded" },
  { name: "c1", status: "finished", end: "2026-02-01", parental: "not-recorded", open: false, recorded: false },
  { name: "c2", end: "2026-03-01", parental: "not-recorded", open: false, recorded: false },
  { name: "c3", end: TODAY, parental: "not-recorded", open: true, recorded: false, listedAs: "not-recorded" },
  { name: "c4", status: "onhold", parental: "not-recorded", open: true, recorded: false, listedAs: "not-recorded" },
  { name: "c5", status: "planned", parental: "not-recorded", open: false, recorded: false },
  { name: "c6", status: "cancelled", parental: "absent", open: false, recorded: false },
  { name: "r1", parental: "children-in-household", provenance: false, open: true, recorded: true },
  { name: "r2", parental: "absent", provenance: false, open: true, recorded: false, listedAs: "absent" },
  {
    name: "t1",
    type: "drug-alcohol-treatment",
    parental: "not-recorded",
    pregnancy: "pregnant",
    open: true,
    recorded: false,
    listedAs: "not-recorded",
  },
  { name: "t2", type: "drug-alcohol-treatment", parental: "children-elsewhere", open: true, recorded: true },
  { name: "x1", org: "RXE", parental: "not-recorded", open: true, recorded: false, listedAs: "not-recorded" },
];

const DRIVERS: [string, () => Promise<Store>][] = [
  ["sqlite", () => openSqliteStore(":memory:", loadMigrations())],
  ["postgres (embedded PGlite)", () => openPgliteStore(loadMigrations())],
];

describe.each(DRIVERS)("completeness decision table on %s", (_driver, open) => {
  let store: Store;

  beforeAll(async () => {
    store = await open();
    await put(store, careTeam("team1", "RX4", "North CMHT"));
    for (const c of CASES) {
      const org = c.org ?? "RX4";
      const pid = `p-${c.name}`;
      const produced = [
        patient(pid, org),
        episode(`e-${c.name}`, org, pid, {
          ...(c.type ? { type: c.type } : {}),
          ...(c.status ? { status: c.status } : {}),
          ...(c.end ? { end: c.end } : {}),
          ...(c.team ? { team: "team1" } : {}),
        }),
      ];
      if (c.parental !== "absent") {
        produced.push(
          parentalStatus(`ps-${c.name}`, org, pid, c.parental, c.pregnancy ? { pregnancy: c.pregnancy } : {}),
        );
      }
      if (c.youngCarer === "patient") produced.push(youngCarer(`yc-${c.name}`, org, pid));
      if (c.youngCarer === "child")
        produced.push(patient(`k-${c.name}`, org), youngCarer(`yc-${c.name}`, org, `k-${c.name}`));
      if (c.youngCarer === "no-answer-false") produced.push(youngCarer(`yc-${c.name}`, org, pid, false));
      if (c.provenance !== false) {
        produced.push(
          provenance(
            `prov-${c.name}`,
            c.type ? "ndtms" : "cpa",
            produced.map((r) => `${r.resourceType}/${r.id}`),
          ),
        );
      }
      await put(store, ...produced);
    }
    // One NDTMS client, two episodes: each episode row's own parental status, not the client's other one.
    await put(
      store,
      patient("p-n", "RX4"),
      episode("e-n1", "RX4", "p-n", { type: "drug-alcohol-treatment" }),
      parentalStatus("ps-n1", "RX4", "p-n", "not-recorded", { effective: "2026-03-01" }),
      provenance("prov-n1", "ndtms", ["Patient/p-n", "EpisodeOfCare/e-n1", "Observation/ps-n1"]),
      episode("e-n2", "RX4", "p-n", { type: "drug-alcohol-treatment" }),
      parentalStatus("ps-n2", "RX4", "p-n", "children-in-household", { effective: "2026-01-01" }),
      provenance("prov-n2", "ndtms", ["Patient/p-n", "EpisodeOfCare/e-n2", "Observation/ps-n2"]),
    );
  });

  afterAll(() => store.close());

  async function listed(org: string) {
    const out = [];
    for await (const step of notRecordedEpisodes(store, org, TODAY)) if (step.row) out.push(step.row);
    return out;
  }

  describe("the table", () => {
    it("lists exactly the open episodes whose parental status is not-recorded, absent or blank, newest first", async () => {
      const rows = await listed("RX4");
      const expected = CASES.filter((c) => (c.org ?? "RX4") === "RX4" && c.open && !c.recorded);
      expect(rows.map((r) => r.episode).sort()).toEqual(
        [...expected.map((c) => `EpisodeOfCare/e-${c.name}`), "EpisodeOfCare/e-n1"].sort(),
      );
      for (const c of expected) {
        expect(rows.find((r) => r.episode === `EpisodeOfCare/e-${c.name}`)?.parentalStatus, c.name).toBe(c.listedAs);
      }
      // newest first: the NDTMS pair was written last
      expect(rows[0]?.episode).toBe("EpisodeOfCare/e-n1");
      const a5 = rows.find((r) => r.episode === "EpisodeOfCare/e-a5");
      expect(a5).toMatchObject({
        patient: "Patient/p-a5",
        localId: "L-p-a5",
        provider: "RX4",
        team: "T-team1",
        teamName: "North CMHT",
        episodeId: "E-e-a5",
        start: "2026-01-01",
        episodeType: "cpa",
      });
    });

    it("counts numerators and denominators per provider, team and episode type", async () => {
      const summary = await completenessSummary(store, "RX4", TODAY);
      const mine = CASES.filter((c) => (c.org ?? "RX4") === "RX4" && c.open);
      const group = (team: boolean, type: "cpa" | "drug-alcohol-treatment") =>
        mine.filter((c) => Boolean(c.team) === team && (c.type ?? "cpa") === type);
      const teamed = group(true, "cpa");
      const g1 = summary.groups.find((g) => g.team === "T-team1");
      expect(g1).toMatchObject({
        provider: "RX4",
        teamName: "North CMHT",
        episodeType: "cpa",
        episodes: teamed.length,
        parentalStatusRecorded: { numerator: teamed.filter((c) => c.recorded).length, denominator: teamed.length },
        pregnancyAsked: { numerator: teamed.filter((c) => c.pregnancy).length, denominator: teamed.length },
        youngCarerAsked: { numerator: teamed.filter((c) => c.youngCarer).length, denominator: teamed.length },
      });
      expect(g1?.parentalStatusRecorded.share).toBeCloseTo(4 / 7, 4);
      const noTeam = group(false, "cpa");
      expect(summary.groups.find((g) => g.team === null && g.episodeType === "cpa")).toMatchObject({
        episodes: noTeam.length,
        parentalStatusRecorded: { numerator: noTeam.filter((c) => c.recorded).length, denominator: noTeam.length },
      });
      const treatment = summary.groups.find((g) => g.episodeType === "drug-alcohol-treatment");
      // t1, t2 and the NDTMS pair (one recorded, one not)
      expect(treatment).toMatchObject({
        team: null,
        episodes: 4,
        parentalStatusRecorded: { numerator: 2, denominator: 4 },
        pregnancyAsked: { numerator: 1, denominator: 4 },
        youngCarerAsked: null,
      });
      expect(summary.groups).toHaveLength(3);
      expect(summary.total).toMatchObject({
        episodes: mine.length + 2,
        notRecorded: mine.filter((c) => !c.recorded).length + 1,
      });
    });

    it("another organisation's report holds only its own episodes", async () => {
      expect((await listed("RXE")).map((r) => r.episode)).toEqual(["EpisodeOfCare/e-x1"]);
      const summary = await completenessSummary(store, "RXE", TODAY);
      expect(summary.total).toMatchObject({ episodes: 1, notRecorded: 1 });
      expect(await listed("N0852")).toEqual([]);
    });

    it("is decided on the day it is read: the episode ending today is closed tomorrow", async () => {
      const tomorrow = [];
      for await (const step of notRecordedEpisodes(store, "RX4", "2026-04-16"))
        if (step.row) tomorrow.push(step.row.episode);
      expect(tomorrow).not.toContain("EpisodeOfCare/e-c3");
      expect((await listed("RX4")).map((r) => r.episode)).toContain("EpisodeOfCare/e-c3");
    });
  });
});

describe("cost: indexed searches a batch at a time, never a scan", () => {
  it("reads 120 open episodes in three batches of a few selective queries each", async () => {
    const base = await openSqliteStore(":memory:", loadMigrations());
    for (let i = 0; i < 120; i++) {
      const produced = [
        patient(`cp${i}`, "RX4"),
        episode(`ce${i}`, "RX4", `cp${i}`),
        parentalStatus(`cs${i}`, "RX4", `cp${i}`, i % 3 === 0 ? "not-recorded" : "no-children"),
      ];
      await put(
        base,
        ...produced,
        provenance(
          `cv${i}`,
          "cpa",
          produced.map((r) => `${r.resourceType}/${r.id}`),
        ),
      );
    }
    const calls: { method: string; criteria?: { kind: string; param?: string }[]; keys?: number }[] = [];
    const counted = new Proxy(base, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const [first] = args as [{ criteria?: { kind: string; param?: string }[] } | unknown[]];
          calls.push({
            method: String(prop),
            ...(prop === "search"
              ? { criteria: (first as { criteria: { kind: string; param?: string }[] }).criteria }
              : {}),
            ...(prop === "readMany" ? { keys: (first as unknown[]).length } : {}),
          });
          return value.apply(target, args);
        };
      },
    });
    const summary = await completenessSummary(counted, "RX4", TODAY);
    expect(summary.total).toMatchObject({ episodes: 120, notRecorded: 40 });
    const methods = new Set(calls.map((c) => c.method));
    // Indexed reads only: searches, reference lookups by the index's key (findReferencing), reads by key.
    for (const m of methods) expect(["findReferencing", "readMany", "search"]).toContain(m);
    const searches = calls.filter((c) => c.method === "search");
    // per batch of 50: one episode page, ceil(50/15) = 4 Provenance lookups; three batches
    expect(searches.length + calls.filter((c) => c.method === "findReferencing").length).toBeLessThanOrEqual(3 * 5);
    expect(calls.filter((c) => c.method === "readMany").length).toBeLessThanOrEqual(3 * 2);
    for (const s of searches) {
      expect(s.criteria?.some((c) => c.param === "_tag" || c.kind === "reference")).toBe(true);
    }
  });
});
