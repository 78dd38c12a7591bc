// A bounded find: findWithin counts a block before reading it, so a block bigger than the bound is left out without
// being read; committed matches rewritten in the commit are counted once; the person index's blocking uses it.
import { describe, expect, it } from "vitest";
import { Overlay } from "../../src/derive/overlay-view.js";
import { storeView } from "../../src/derive/store-view.js";
import { prepareWrite } from "../../src/fhir/resource-service.js";
import { candidatesOf, MAX_BLOCK } from "../../src/linkage/blocking.js";
import { featuresOf } from "../../src/linkage/features.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { DateValue, SearchCriterion } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

const NOW = "2026-12-02T09:00:00.000Z";
const DAY: DateValue = { prefix: "eq", start: "1990-05-06T00:00:00.000Z", end: "1990-05-07T00:00:00.000Z" };
const BORN: SearchCriterion[] = [{ kind: "date", param: "birthdate", values: [DAY] }];

const patient = (id: string, family = `Fam${id}`) => ({
  resourceType: "Patient",
  id,
  name: [{ family, given: ["Sam"] }],
  birthDate: "1990-05-06",
});
const write = (id: string, version = 1, family?: string) =>
  prepareWrite("Patient", id, version, NOW, patient(id, family));

async function storeWith(n: number) {
  const store = await openSqliteStore(":memory:", loadMigrations());
  const writes = Array.from({ length: n }, (_, i) => write(`p${String(i).padStart(4, "0")}`));
  for (let i = 0; i < writes.length; i += 100) await store.commit({ resources: writes.slice(i, i + 100) });
  return store;
}

describe("findWithin", () => {
  it("returns the block when it holds at most the bound, undefined when it holds more", async () => {
    const store = await storeWith(5);
    try {
      const view = storeView(store);
      expect((await view.findWithin("Patient", BORN, 5))?.map((r) => r.id)).toHaveLength(5);
      expect(await view.findWithin("Patient", BORN, 4)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("over an overlay: pending matches count, a committed match rewritten in the commit counts once", async () => {
    const store = await storeWith(5);
    try {
      // Two new matches and one rewrite of a committed one: 7 in all.
      const overlay = new Overlay([write("new1"), write("new2"), write("p0000", 2, "Changed")]);
      const view = overlay.view(store);
      const found = await view.findWithin("Patient", BORN, 7);
      expect(found?.map((r) => r.id).sort()).toEqual(["new1", "new2", "p0000", "p0001", "p0002", "p0003", "p0004"]);
      expect(found?.find((r) => r.id === "p0000")?.name).toEqual([{ family: "Changed", given: ["Sam"] }]);
      expect(await view.findWithin("Patient", BORN, 6)).toBeUndefined();
      // A pending deletion hides its committed match.
      const deleting = new Overlay([prepareWrite("Patient", "p0001", 2, NOW, undefined)]).view(store);
      expect((await deleting.findWithin("Patient", BORN, 4))?.map((r) => r.id)).not.toContain("p0001");
    } finally {
      await store.close();
    }
  });

  it("blocking leaves out a birth-date block bigger than MAX_BLOCK, and uses one at the bound", async () => {
    const store = await storeWith(MAX_BLOCK + 1);
    try {
      const view = storeView(store);
      const probe = featuresOf(patient("probe", "Probe"));
      // The probe is not stored: the block holds MAX_BLOCK + 1 others, too many to compare pairwise.
      expect(await candidatesOf(view, probe)).toEqual([]);
      await store.commit({ resources: [prepareWrite("Patient", "p0000", 2, NOW, undefined)] });
      expect(await candidatesOf(view, probe)).toHaveLength(MAX_BLOCK);
    } finally {
      await store.close();
    }
  });
});
