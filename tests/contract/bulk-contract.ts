// Bulk-session contract (Store.bulk): every driver that offers it must pass these same tests.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ResourceWrite, type Store, StoreConflictError } from "../../src/store/port.js";

let seq = 0;
const uid = (p: string) => `${p}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

function patient(id: string, versionId: number, family: string): ResourceWrite {
  return {
    resourceType: "Patient",
    id,
    versionId,
    lastUpdated: new Date(Date.UTC(2026, 0, 1, 0, 0, versionId)).toISOString(),
    resource: { resourceType: "Patient", id, name: [{ family }] },
    tokens: [{ param: "identifier", system: "urn:test", value: id }],
    references: [],
    strings: [{ param: "family", value: family.toLowerCase(), exact: family }],
  };
}

const byIdentifier = (store: Store, value: string) =>
  store.search({
    resourceType: "Patient",
    criteria: [{ kind: "token", param: "identifier", values: [{ system: "urn:test", value }] }],
    count: 10,
    offset: 0,
    sort: "id",
  });

/**
 * Registers the bulk-session contract for one driver. `concurrent`: other connections keep answering while a session
 * is open (false for a single-connection database, PGlite, where they wait for it).
 */
export function describeBulkContract(driver: string, open: () => Promise<Store>, concurrent: boolean): void {
  describe(`bulk session contract [${driver}]`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });
    const bulk = () => {
      if (!store.bulk) throw new Error(`${driver} has no Store.bulk`);
      return store.bulk();
    };

    it("reads its own writes, across writes; others see them only once it commits, all at once", async () => {
      const [a, b] = [uid("a"), uid("b")];
      const session = await bulk();
      try {
        await session.write({ resources: [patient(a, 1, "Alpha")] });
        expect((await session.store.read("Patient", a))?.versionId).toBe(1);
        // A later write builds on an earlier one of the same session (version 2 of the same resource).
        await session.write({ resources: [patient(a, 2, "Alder"), patient(b, 1, "Beta")] });
        expect(
          (await session.store.readMany([{ resourceType: "Patient", id: a }])).get(`Patient/${a}`)?.versionId,
        ).toBe(2);
        expect((await byIdentifier(session.store, b)).total).toBe(1);
        if (concurrent) {
          expect(await store.read("Patient", a)).toBeUndefined();
          expect((await byIdentifier(store, b)).total).toBe(0);
        }
        await session.commit();
      } finally {
        await session.rollback();
      }
      expect((await store.read("Patient", a))?.resource).toMatchObject({ name: [{ family: "Alder" }] });
      expect((await store.history("Patient", a, { count: 10, offset: 0 })).total).toBe(2);
      expect((await byIdentifier(store, b)).total).toBe(1);
    });

    it("rolls back everything it wrote: versions, current rows and index rows", async () => {
      const [a, b] = [uid("a"), uid("b")];
      await store.commit({ resources: [patient(b, 1, "Before")] });
      const session = await bulk();
      await session.write({ resources: [patient(a, 1, "Gone")] });
      await session.write({ resources: [patient(b, 2, "Changed")] });
      await session.rollback();
      await session.rollback(); // twice is harmless
      expect(await store.read("Patient", a)).toBeUndefined();
      expect((await byIdentifier(store, a)).total).toBe(0);
      expect((await store.read("Patient", b))?.versionId).toBe(1);
      expect(await store.vread("Patient", b, 2)).toBeUndefined();
      // The store takes ordinary writes again.
      await store.commit({ resources: [patient(a, 1, "Later")] });
      expect((await store.read("Patient", a))?.versionId).toBe(1);
    });

    it("a write whose version exists is a conflict; the session can then only be rolled back, and nothing of it stays", async () => {
      const [a, b] = [uid("a"), uid("b")];
      await store.commit({ resources: [patient(a, 1, "Stored")] });
      const session = await bulk();
      await session.write({ resources: [patient(b, 1, "Written")] });
      await expect(session.write({ resources: [patient(a, 1, "Again")] })).rejects.toBeInstanceOf(StoreConflictError);
      await expect(session.commit()).rejects.toThrow();
      await session.rollback();
      expect(await store.read("Patient", b)).toBeUndefined();
      expect((await store.read("Patient", a))?.resource).toMatchObject({ name: [{ family: "Stored" }] });
    });

    it.skipIf(!concurrent)("other connections read while a session is open", async () => {
      const a = uid("a");
      await store.commit({ resources: [patient(a, 1, "Kept")] });
      const session = await bulk();
      try {
        await session.write({ resources: [patient(a, 2, "Pending")] });
        const seen = await store.read("Patient", a);
        expect(seen?.versionId).toBe(1);
        expect((await byIdentifier(store, a)).versions.map((v) => v.versionId)).toEqual([1]);
      } finally {
        await session.rollback();
      }
    });
  });
}
