/** A Lookup's prefetch (households/lookup.ts): one query for many targets, and the per-target answers it memoises are what asking each alone gives. */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeriveView } from "../../src/derive/port.js";
import { storeView } from "../../src/derive/store-view.js";
import { Lookup } from "../../src/households/lookup.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { put } from "../support/notify-fixtures.js";

const PATIENTS = Array.from({ length: 6 }, (_, i) => `Patient/p${i}`);
let store: Store;

/** Episodes referencing patients (some none, some two), and one deleted. */
beforeAll(async () => {
  store = await openSqliteStore(":memory:", loadMigrations());
  const patients = PATIENTS.map((k) => ({ resourceType: "Patient", id: k.slice(8), birthDate: "1990-01-01" }));
  const episodes = [
    ["e1", "p0"],
    ["e2", "p0"],
    ["e3", "p1"],
    ["e4", "p3"],
    ["e5", "p3"],
    ["e6", "p4"],
  ].map(([id, p]) => ({
    resourceType: "EpisodeOfCare",
    id: id as string,
    status: "active",
    patient: { reference: `Patient/${p}` },
    managingOrganization: { reference: "Organization/o1" },
  }));
  await put(store, [...patients, ...episodes]);
  await store.commit({
    resources: [
      {
        resourceType: "EpisodeOfCare",
        id: "e6",
        versionId: 2,
        lastUpdated: "2026-11-02T00:00:00.000Z",
        deleted: true,
      },
    ],
  } as never);
});
afterAll(async () => store.close());

/** A view over `store` that counts the queries it sends. */
function counting(view: DeriveView) {
  const calls = { find: 0, findEach: 0, read: 0, readEach: 0 };
  const counted: DeriveView = {
    read: (t, id) => {
      calls.read++;
      return view.read(t, id);
    },
    find: (t, c) => {
      calls.find++;
      return view.find(t, c);
    },
    findWithin: (t, c, l) => view.findWithin(t, c, l),
    findReferencingEach: (t, p, ts) => {
      calls.findEach++;
      return view.findReferencingEach?.(t, p, ts) ?? Promise.reject(new Error("no findReferencingEach"));
    },
    readEach: (ks) => {
      calls.readEach++;
      return view.readEach?.(ks) ?? Promise.reject(new Error("no readEach"));
    },
  };
  return { counted, calls };
}

const ids = (rs: { id: string }[]) => rs.map((r) => r.id);

describe("Lookup prefetch", () => {
  it("answers every target as asking it alone does, with one query for them all", async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray([...PATIENTS, "Patient/none", "not-a-reference"]), async (targets) => {
        const alone = new Lookup(storeView(store));
        const { counted, calls } = counting(storeView(store));
        const ahead = new Lookup(counted);
        await ahead.prefetchReferencing("EpisodeOfCare", "patient", [...targets, ...targets]);
        for (const t of targets)
          expect(ids(await ahead.byReference("EpisodeOfCare", "patient", t))).toEqual(
            ids(await alone.byReference("EpisodeOfCare", "patient", t)),
          );
        expect(calls).toEqual({ find: 0, findEach: targets.length > 0 ? 1 : 0, read: 0, readEach: 0 });
      }),
      { numRuns: 60 },
    );
  });

  it("leaves out a deleted resource, and asks nothing again that it has asked", async () => {
    const { counted, calls } = counting(storeView(store));
    const lookup = new Lookup(counted);
    await lookup.byReference("EpisodeOfCare", "patient", "Patient/p0");
    await lookup.prefetchReferencing("EpisodeOfCare", "patient", ["Patient/p0", "Patient/p4"]);
    expect(ids(await lookup.byReference("EpisodeOfCare", "patient", "Patient/p4"))).toEqual([]);
    expect(ids(await lookup.byReference("EpisodeOfCare", "patient", "Patient/p0"))).toEqual(["e1", "e2"]);
    await lookup.prefetchReferencing("EpisodeOfCare", "patient", ["Patient/p0", "Patient/p4"]);
    expect(calls).toEqual({ find: 1, findEach: 1, read: 0, readEach: 0 });
  });

  it("prefetches reads: present records as read alone gives them, absent and malformed keys as absent", async () => {
    const { counted, calls } = counting(storeView(store));
    const lookup = new Lookup(counted);
    const keys = ["Patient/p1", "Patient/p5", "Patient/absent", "EpisodeOfCare/e6", "Patient", "Patient/a/b"];
    await lookup.prefetchReads(keys);
    for (const k of keys.slice(0, 4)) {
      const [t, id] = k.split("/") as [string, string];
      expect(await lookup.read(k)).toEqual(await storeView(store).read(t, id));
    }
    expect(await lookup.read("EpisodeOfCare/e6")).toBeUndefined();
    expect(calls).toEqual({ find: 0, findEach: 0, read: 0, readEach: 1 });
  });

  it("asks nothing ahead through a view that cannot answer per target, and still answers", async () => {
    const plain = storeView(store);
    const { findReferencingEach: _f, readEach: _r, ...rest } = plain;
    const lookup = new Lookup(rest as DeriveView);
    await lookup.prefetchReferencing("EpisodeOfCare", "patient", ["Patient/p3"]);
    await lookup.prefetchReads(["Patient/p3"]);
    expect(ids(await lookup.byReference("EpisodeOfCare", "patient", "Patient/p3"))).toEqual(["e4", "e5"]);
  });
});
