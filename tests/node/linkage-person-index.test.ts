// The person index through the real ingest: NHS number first, then a source's own ids, then Fellegi–Sunter
// weights tolerant of nicknames, initials-only NDTMS, hyphenated surnames and moves; close calls wait as a
// possible-match Task that links nothing until a reviewer accepts it; undoing a link is remembered.
import { describe, expect, it, vi } from "vitest";
import { storeView } from "../../src/derive/store-view.js";
import { listPersonClusters } from "../../src/linkage/clusters.js";
import { taskId } from "../../src/linkage/resources.js";
import { decideTask, undoLink } from "../../src/linkage/review.js";
import type { Store } from "../../src/store/port.js";
import { STORES } from "./derive-stores.js";
import { cpaKey, NOW, ndtmsKey, nhs, sendCpa, sendNdtms } from "./linkage-support.js";

// PGlite under a shared machine's load: a clone per test costs seconds.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const personOf = async (store: Store, key: string) => {
  const people = await storeView(store).find("Person", [{ kind: "reference", param: "link", targets: [key] }]);
  expect(people).toHaveLength(1);
  return people[0] as unknown as Record<string, unknown> & {
    id: string;
    link: { target: { reference: string }; assurance?: string; extension?: unknown[] }[];
  };
};
const membersOf = async (store: Store, key: string) =>
  (await personOf(store, key)).link.map((l) => l.target.reference).sort();
const together = async (store: Store, a: string, b: string) => (await membersOf(store, a)).includes(b);
const tasks = async (store: Store) =>
  (await storeView(store).find("Task", [])).map((t) => ({
    id: t.id,
    status: t.status,
    for: (t.for as { reference: string }).reference,
    focus: (t.focus as { reference: string }).reference,
    input: t.input,
  }));
const review = { clock: () => new Date(NOW) };

describe.each(STORES)("person index on %s", (_name, open) => {
  it("links records with the same valid NHS number (level4), with the evidence on the link and a Provenance", async () => {
    const store = await open();
    try {
      const n = nhs(1001);
      await sendCpa(store, [{ id: "A1", given: "Alex", family: "Example", birth: "1988-03-14", nhs: n }]);
      await sendNdtms(store, [{ id: "C1", initials: "ZQ", birth: "1970-01-01", sex: "1", nhs: n }]);
      const a = await cpaKey(store, "RX4", "A1");
      const c = await ndtmsKey(store, "C1");
      const person = await personOf(store, a);
      expect(person.link.map((l) => l.target.reference).sort()).toEqual([a, c].sort());
      expect(person.link.every((l) => l.assurance === "level4")).toBe(true);
      expect(JSON.stringify(person.link[0]?.extension)).toContain('"valueCode":"nhs-number"');
      expect(person.meta).toMatchObject({ source: "urn:tfg:derived:person-index" });
      const prov = await storeView(store).find("Provenance", [
        { kind: "reference", param: "target", targets: [`Person/${person.id}`] },
      ]);
      expect(prov).toHaveLength(1);
      expect(prov[0]?.recorded).toBe(NOW);
    } finally {
      await store.close();
    }
  });

  it("links probabilistically without NHS numbers: initials-only NDTMS, a nickname after a move, a hyphenated surname", async () => {
    const store = await open();
    try {
      await sendCpa(store, [
        { id: "A1", given: "Alexander", family: "Quennell", birth: "1988-03-14", sex: "1", postcode: "ZZ99 3AA" },
        { id: "A2", given: "William", family: "Smith", birth: "1979-06-20", sex: "1", postcode: "ZZ99 4BB" },
        { id: "A3", given: "Joanna", family: "Ferrand-Okafor", birth: "1990-11-02", sex: "2", postcode: "ZZ99 5CC" },
      ]);
      await sendCpa(store, [
        { org: "RX5", id: "B2", given: "Bill", family: "Smith", birth: "1979-06-20", sex: "1", postcode: "ZZ99 8XY" },
        {
          org: "RX5",
          id: "B3",
          given: "Joanna",
          family: "Okafor",
          birth: "1990-11-02",
          sex: "2",
          postcode: "ZZ99 5CC",
        },
      ]);
      await sendNdtms(store, [{ id: "C1", initials: "AQ", birth: "1988-03-14", sex: "1", postcode: "ZZ99 3AA" }]);
      expect(await together(store, await cpaKey(store, "RX4", "A1"), await ndtmsKey(store, "C1"))).toBe(true);
      expect(await together(store, await cpaKey(store, "RX4", "A2"), await cpaKey(store, "RX5", "B2"))).toBe(true);
      expect(await together(store, await cpaKey(store, "RX4", "A3"), await cpaKey(store, "RX5", "B3"))).toBe(true);
      const p = await personOf(store, await cpaKey(store, "RX4", "A2"));
      const evidence = JSON.stringify(p.link[0]?.extension);
      expect(evidence).toContain('"valueCode":"nickname"');
      expect(evidence).not.toContain("Smith");
      expect(await tasks(store)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("keeps apart twins, and a parent and child of the same name at one address", async () => {
    const store = await open();
    try {
      await sendCpa(store, [
        { id: "T1", given: "Oliver", family: "Quennell", birth: "2001-05-05", sex: "1", postcode: "ZZ99 3AA" },
        { id: "T2", given: "Harry", family: "Quennell", birth: "2001-05-05", sex: "1", postcode: "ZZ99 3AA" },
        { id: "P1", given: "Oliver", family: "Quennell", birth: "1975-02-09", sex: "1", postcode: "ZZ99 3AA" },
      ]);
      const [t1, t2] = [await cpaKey(store, "RX4", "T1"), await cpaKey(store, "RX4", "T2")];
      for (const id of ["T1", "T2", "P1"])
        expect(await membersOf(store, await cpaKey(store, "RX4", id))).toHaveLength(1);
      // Same-sex twins at one address agree on all but the given name: a reviewer decides; the parent is not even queued.
      expect((await tasks(store)).map((t) => t.id)).toEqual([taskId(t1, t2)]);
    } finally {
      await store.close();
    }
  });

  it("queues a close call as a possible match with the evidence per field, links nothing until accepted, and a rejection stays", async () => {
    const store = await open();
    try {
      // A day/month swap after a move: close, but not close enough to link on its own.
      await sendCpa(store, [
        { id: "A1", given: "Maria", family: "Quennell", birth: "1984-03-07", sex: "2", postcode: "ZZ99 3AA" },
      ]);
      await sendCpa(store, [
        {
          org: "RX5",
          id: "B1",
          given: "Maria",
          family: "Quennell",
          birth: "1984-07-03",
          sex: "2",
          postcode: "ZZ88 7QQ",
        },
      ]);
      const a = await cpaKey(store, "RX4", "A1");
      const b = await cpaKey(store, "RX5", "B1");
      expect(await together(store, a, b)).toBe(false);
      const queue = await tasks(store);
      expect(queue).toHaveLength(1);
      expect(queue[0]).toMatchObject({ id: taskId(a, b), status: "requested" });
      const evidence = JSON.stringify(queue[0]?.input);
      expect(evidence).toContain("day-month-swapped");
      expect(evidence).not.toContain("Maria");
      expect(evidence).not.toContain("1984");

      await decideTask({ store, ...review }, taskId(a, b), "completed");
      expect(await together(store, a, b)).toBe(true);
      expect((await personOf(store, a)).link.some((l) => JSON.stringify(l.extension).includes('"reviewer"'))).toBe(
        true,
      );

      await decideTask({ store, ...review }, taskId(a, b), "rejected");
      expect(await together(store, a, b)).toBe(false);
      // Re-sending either record changes nothing: the rejection is respected.
      await sendCpa(store, [
        {
          org: "RX5",
          id: "B1",
          given: "Maria",
          family: "Quennell",
          birth: "1984-07-03",
          sex: "2",
          postcode: "ZZ99 3AA",
        },
      ]);
      expect(await together(store, a, b)).toBe(false);
      expect((await tasks(store))[0]?.status).toBe("rejected");
    } finally {
      await store.close();
    }
  });

  it("undoes a wrong automatic link: the Person splits, the pair is remembered as rejected, and a later update does not relink", async () => {
    const store = await open();
    try {
      await sendCpa(store, [
        { id: "A1", given: "Alexander", family: "Quennell", birth: "1988-03-14", sex: "1", postcode: "ZZ99 3AA" },
      ]);
      await sendNdtms(store, [{ id: "C1", initials: "AQ", birth: "1988-03-14", sex: "1", postcode: "ZZ99 3AA" }]);
      const a = await cpaKey(store, "RX4", "A1");
      const c = await ndtmsKey(store, "C1");
      expect(await together(store, a, c)).toBe(true);
      const result = await undoLink({ store, ...review }, c);
      expect(result.decided).toEqual([`Task/${taskId(a, c)}`]);
      expect(await membersOf(store, a)).toEqual([a]);
      expect(await membersOf(store, c)).toEqual([c]);
      await sendNdtms(store, [{ id: "C1", initials: "AQ", birth: "1988-03-14", sex: "1", postcode: "ZZ99 3AB" }]);
      expect(await together(store, a, c)).toBe(false);
      const clusters = await listPersonClusters(store);
      expect(clusters.map((x) => x.members.length)).toEqual([1, 1]);
    } finally {
      await store.close();
    }
  });

  it.each([
    ["CPA first", false],
    ["NDTMS first", true],
  ])("leaves every record in exactly one Person when a later record joins it (%s)", async (_n, ndtmsFirst) => {
    const store = await open();
    try {
      // The merged Person's id comes from its smallest key: in one of the two orders it is not the first Person's.
      const n = nhs(1101);
      const cpa = () => sendCpa(store, [{ id: "A7", given: "Rhea", family: "Example", birth: "1979-02-11", nhs: n }]);
      const ndtms = () => sendNdtms(store, [{ id: "C7", initials: "RE", birth: "1979-02-11", sex: "2", nhs: n }]);
      if (ndtmsFirst) await ndtms();
      await cpa();
      if (!ndtmsFirst) await ndtms();
      const a = await cpaKey(store, "RX4", "A7");
      const c = await ndtmsKey(store, "C7");
      expect(await membersOf(store, a)).toEqual([a, c].sort());
      expect(await membersOf(store, c)).toEqual([a, c].sort());
      expect(await storeView(store).find("Person", [])).toHaveLength(1);
      const derived = (await storeView(store).find("Provenance", [])).filter(
        (p) => (p.meta as { source?: string }).source === "urn:tfg:derived:person-index",
      );
      expect(derived).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it("replaying the files derives nothing: no Person, Provenance or Task version changes", async () => {
    const store = await open();
    try {
      const adults = [
        {
          id: "A1",
          given: "Alexander",
          family: "Quennell",
          birth: "1988-03-14",
          sex: "1" as const,
          postcode: "ZZ99 3AA",
        },
        { id: "A2", given: "Maria", family: "Quennell", birth: "1984-03-07", sex: "2" as const, postcode: "ZZ99 3AA" },
      ];
      const clients = [
        { id: "C1", initials: "AQ", birth: "1988-03-14", sex: "1" as const, postcode: "ZZ99 3AA" },
        { id: "C2", initials: "MQ", birth: "1984-07-03", sex: "2" as const, postcode: "ZZ99 7QQ" },
      ];
      await sendCpa(store, adults);
      await sendNdtms(store, clients);
      const before = await store.historyAcross({ count: 1000 });
      await sendCpa(store, adults);
      await sendNdtms(store, clients);
      const after = await store.historyAcross({ count: 1000 });
      expect(after.total).toBe(before.total);
    } finally {
      await store.close();
    }
  });
});
