// The derivation runner: derivers see committed data overlaid with the commit's pending writes, their output is
// committed with the source writes that caused it (or not at all), and replaying an ingest derives nothing.
import { describe, expect, it, vi } from "vitest";
import { Overlay } from "../../src/derive/overlay-view.js";
import type { DerivedResource, Deriver } from "../../src/derive/port.js";
import { runDerivers } from "../../src/derive/run.js";
import { prepareWrite } from "../../src/fhir/resource-service.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { cpaJsonRecords } from "../../src/mapping/sources/cpa.js";
import type { Store } from "../../src/store/port.js";
import { textSource } from "../support/map-events.js";
import { sentBy } from "../support/sender.js";
import { STORES } from "./derive-stores.js";

// PGlite under a shared machine's load: a clone per test costs seconds.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const NOW = "2026-12-02T09:00:00.000Z";

const patient = (id: string, family: string) => ({
  resourceType: "Patient",
  id,
  name: [{ family, given: ["Sam"] }],
  birthDate: "1990-05-06",
});

const write = (r: Record<string, unknown> & { resourceType: string; id: string }, version = 1) =>
  prepareWrite(r.resourceType, r.id, version, NOW, r);

/** Derives one Person per touched Patient (linking it) and a Provenance naming the Patient. */
const echo: Deriver = {
  name: "echo",
  async derive({ view, touched }) {
    const resources: DerivedResource[] = [];
    for (const key of touched) {
      const [type, id] = key.split("/") as [string, string];
      if (type !== "Patient" || !(await view.read(type, id))) continue;
      resources.push({ resourceType: "Person", id: `p-${id}`, link: [{ target: { reference: key } }] });
      resources.push({
        resourceType: "Provenance",
        id: `prov-${id}`,
        target: [{ reference: `Person/p-${id}` }],
        agent: [{ who: { display: "echo" } }],
        entity: [{ role: "source", what: { reference: key } }],
      });
    }
    return {
      resources,
      outbox: resources.length ? [{ id: `msg-${resources.length}`, topic: "echo", payload: {} }] : [],
    };
  },
};

const cpa = (ids: string[]) =>
  JSON.stringify({
    MHS000Header: { OrgIDProvider: "RX4" },
    Patients: ids.map((id) => ({
      MHS001MPI: { LocalPatientId: id, PersonBirthDate: "1985-01-01", PersonFamilyName: "Example" },
      MHS701CPACareEpisode: [{ CPAEpisodeId: `E-${id}`, StartDateCPA: "2026-01-01" }],
    })),
  });

const send = (store: Store, ids: string[], derivers: Deriver[], mode: "per-record" | "all-or-nothing" = "per-record") =>
  ingest({ store, clock: () => new Date(NOW), derivers }, mappingFor("cpa"), cpaJsonRecords(textSource(cpa(ids))), {
    ...sentBy("cpa", "RX4"),
    mode,
  });

const count = async (store: Store, type: string) =>
  (await store.search({ resourceType: type, criteria: [], count: 1000, sort: "id" })).versions.length;

describe.each(STORES)("derivation runner on %s", (_name, open) => {
  it("overlays pending writes on committed data: pending versions win, pending deletions hide, find matches pending index entries", async () => {
    const store = await open();
    try {
      await store.commit({
        resources: [write(patient("a", "Old")), write(patient("c", "Smith")), write(patient("d", "Smith"))],
      });
      const overlay = new Overlay([
        write(patient("a", "Smith"), 2),
        write(patient("b", "Smith")),
        prepareWrite("Patient", "c", 2, NOW, undefined),
      ]);
      const view = overlay.view(store);
      const bySmith = await view.find("Patient", [
        { kind: "string", param: "family", values: ["smi"], match: "prefix" },
      ]);
      expect(bySmith.map((r) => r.id).sort()).toEqual(["a", "b", "d"]);
      const byOld = await view.find("Patient", [{ kind: "string", param: "family", values: ["old"], match: "prefix" }]);
      expect(byOld).toEqual([]);
      expect(await view.read("Patient", "c")).toBeUndefined();
      expect((await view.read("Patient", "a"))?.name).toEqual([{ family: "Smith", given: ["Sam"] }]);
      const byDate = await view.find("Patient", [
        {
          kind: "date",
          param: "birthdate",
          values: [{ prefix: "eq", start: "1990-05-06T00:00:00.000Z", end: "1990-05-07T00:00:00.000Z" }],
        },
        { kind: "id", values: ["a", "b", "c"] },
      ]);
      expect(byDate.map((r) => r.id).sort()).toEqual(["a", "b"]);
      expect(overlay.touched).toEqual(["Patient/a", "Patient/b", "Patient/c"]);
    } finally {
      await store.close();
    }
  });

  it("plans derived output like ingest: versioned and indexed, unchanged content dropped, Provenance.recorded set from the commit", async () => {
    const store = await open();
    try {
      const source = [write(patient("a", "Smith"))];
      const first = await runDerivers(store, [echo], source, NOW);
      expect(first.writes.map((w) => `${w.resourceType}/${w.id}/${w.versionId}`)).toEqual([
        "Person/p-a/1",
        "Provenance/prov-a/1",
      ]);
      expect(first.writes[0]?.references).toContainEqual({ param: "link", target: "Patient/a" });
      expect(first.writes[1]?.resource?.recorded).toBe(NOW);
      await store.commit({ resources: [...source, ...first.writes] });
      const again = await runDerivers(store, [echo], [write(patient("a", "Smyth"), 2)], "2027-01-01T00:00:00.000Z");
      expect(again.writes).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("later derivers see earlier derivers' output in the same commit", async () => {
    const store = await open();
    try {
      const seen: string[] = [];
      const second: Deriver = {
        name: "second",
        async derive({ view, touched }) {
          seen.push(...touched);
          const people = await view.find("Person", [{ kind: "reference", param: "link", targets: ["Patient/a"] }]);
          seen.push(...people.map((p) => `found ${p.id}`));
          return { resources: [] };
        },
      };
      await runDerivers(store, [echo, second], [write(patient("a", "Smith"))], NOW);
      expect(seen).toEqual(["Patient/a", "Person/p-a", "Provenance/prov-a", "found p-a"]);
    } finally {
      await store.close();
    }
  });

  it("ingest commits derived writes and outbox messages with the source writes, in every mode", async () => {
    for (const mode of ["per-record", "all-or-nothing"] as const) {
      const store = await open();
      try {
        await send(store, ["P1", "P2"], [echo], mode);
        expect(await count(store, "Patient")).toBe(2);
        expect(await count(store, "Person")).toBe(2);
        const msg = await store.getOutbox("msg-4");
        expect(msg?.topic).toBe("echo");
      } finally {
        await store.close();
      }
    }
  });

  it("a commit that fails leaves neither the source records nor what was derived from them", async () => {
    const store = await open();
    try {
      const failing: Store = Object.create(store);
      failing.commit = async () => {
        throw new Error("disk full");
      };
      await expect(send(failing, ["P1"], [echo])).rejects.toThrow("disk full");
      const boom: Deriver = {
        name: "boom",
        async derive() {
          throw new Error("deriver failed");
        },
      };
      await expect(send(store, ["P1"], [echo, boom])).rejects.toThrow("deriver failed");
      expect(await count(store, "Patient")).toBe(0);
      expect(await count(store, "Person")).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("replaying an ingest derives nothing: no derived version, no outbox message, derivers see nothing touched", async () => {
    const store = await open();
    try {
      await send(store, ["P1", "P2"], [echo]);
      const calls: string[][] = [];
      const spy: Deriver = {
        name: "spy",
        async derive(input) {
          calls.push([...input.touched]);
          return echo.derive(input);
        },
      };
      const again = await send(store, ["P1", "P2"], [spy]);
      expect(again.counts.unchanged).toBe(2);
      expect(calls).toEqual([]);
      const people = await store.search({ resourceType: "Person", criteria: [], count: 10, sort: "id" });
      expect(people.versions.map((v) => v.versionId)).toEqual([1, 1]);
    } finally {
      await store.close();
    }
  });
});
