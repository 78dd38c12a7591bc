// A re-sent record that no longer produces a resource withdraws it (a deletion version, history kept),
// unless another record still produces it; unchanged re-sends withdraw nothing.
import { describe, expect, it } from "vitest";
import { ingest } from "../../src/ingest/ingest-service.js";
import type { IngestReport } from "../../src/ingest/report.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { cpaJsonRecords } from "../../src/mapping/sources/cpa.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { textSource } from "../support/map-events.js";
import { sentBy } from "../support/sender.js";

type Patient = Record<string, unknown>;

const child = (id: string, birth: string) => ({
  ChildLocalId: id,
  PersonBirthDate: birth,
  LivesWithPatient: "Y",
});

const patient = (id: string, children: object[], team?: string): Patient => ({
  MHS001MPI: { LocalPatientId: id, PersonBirthDate: "1985-01-01" },
  MHS701CPACareEpisode: [{ CPAEpisodeId: `E-${id}`, StartDateCPA: "2026-01-01" }],
  ...(team
    ? {
        MHS006MHCareCoord: [
          { CareProfLocalId: `CC-${id}`, StartDateAssCareCoord: "2026-01-01", CareProfTeamLocalId: team },
        ],
      }
    : {}),
  Household: { AssessmentDate: "2026-02-01", ChildrenQuestion: "Y", Children: children },
});

const send = (store: Store, patients: Patient[]) =>
  ingest(
    { store, clock: () => new Date() },
    mappingFor("cpa"),
    cpaJsonRecords(textSource(JSON.stringify({ MHS000Header: { OrgIDProvider: "RX4" }, Patients: patients }))),
    sentBy("cpa", "RX4"),
  );

const resultFor = (report: IngestReport, key: string) => report.records.find((r) => r.key === key);

async function isLive(store: Store, ref: string) {
  const [type, id] = ref.split("/") as [string, string];
  const v = await store.read(type, id);
  return Boolean(v && !v.deleted);
}

describe("withdrawing what a record no longer produces", () => {
  it("deletes a child taken off the household list, keeps its history, and withdraws nothing on an unchanged re-send", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    try {
      const first = await send(store, [patient("P1", [child("K1", "2016-01-01"), child("K2", "2019-01-01")])]);
      const before = resultFor(first, "RX4/P1")?.resources ?? [];
      const second = await send(store, [patient("P1", [child("K1", "2016-01-01")])]);
      const r = resultFor(second, "RX4/P1");
      expect(r?.outcome).toBe("updated");
      const withdrawn = r?.withdrawn ?? [];
      expect(withdrawn.length).toBeGreaterThan(0);
      // Exactly what the first send produced and the second does not.
      expect([...withdrawn].sort()).toEqual(before.filter((k) => !(r?.resources ?? []).includes(k)).sort());
      expect(withdrawn.some((k) => k.startsWith("Patient/"))).toBe(true);
      expect(withdrawn.some((k) => k.startsWith("RelatedPerson/"))).toBe(true);
      for (const k of withdrawn) {
        expect(await isLive(store, k), k).toBe(false);
        const [type, id] = k.split("/") as [string, string];
        expect((await store.vread(type, id, 1))?.resource, k).toBeDefined();
      }
      for (const k of r?.resources ?? []) expect(await isLive(store, k), k).toBe(true);

      const third = await send(store, [patient("P1", [child("K1", "2016-01-01")])]);
      expect(resultFor(third, "RX4/P1")).toMatchObject({ outcome: "unchanged" });
      expect(resultFor(third, "RX4/P1")?.withdrawn).toBeUndefined();
      expect(third.counts.resourcesWritten).toBe(0);

      // Listing the child again brings it back as a new version.
      const fourth = await send(store, [patient("P1", [child("K1", "2016-01-01"), child("K2", "2019-01-01")])]);
      expect(resultFor(fourth, "RX4/P1")?.outcome).toBe("updated");
      for (const k of withdrawn) expect(await isLive(store, k), k).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("keeps a resource another record still produces (a care team shared by two patients)", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    try {
      const first = await send(store, [patient("P1", [], "T1"), patient("P2", [], "T1")]);
      const team = resultFor(first, "RX4/P1")?.resources?.find((k) => k.startsWith("CareTeam/")) as string;
      expect(resultFor(first, "RX4/P2")?.resources).toContain(team);
      // P1 no longer has a coordinator in T1; P2 still does, in another file.
      const second = await send(store, [patient("P1", [])]);
      expect(resultFor(second, "RX4/P1")?.withdrawn ?? []).not.toContain(team);
      expect(await isLive(store, team)).toBe(true);
      // Once P2 drops it too, nobody produces it and it is withdrawn.
      const third = await send(store, [patient("P2", [])]);
      expect(resultFor(third, "RX4/P2")?.withdrawn).toContain(team);
      expect(await isLive(store, team)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it.each([
    ["before", true],
    ["after", false],
  ])(
    "keeps a resource that another record of the same file, %s it, starts to produce",
    async (_where, producerFirst) => {
      const store = await openSqliteStore(":memory:", loadMigrations());
      try {
        const first = await send(store, [patient("P1", [], "T1"), patient("P2", [])]);
        const team = resultFor(first, "RX4/P1")?.resources?.find((k) => k.startsWith("CareTeam/")) as string;
        const file = [patient("P1", []), patient("P2", [], "T1")];
        const second = await send(store, producerFirst ? file.reverse() : file);
        expect(resultFor(second, "RX4/P2")?.resources).toContain(team);
        expect(await isLive(store, team)).toBe(true);
      } finally {
        await store.close();
      }
    },
  );
});
