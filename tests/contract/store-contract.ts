// Storage contract suite: every driver (SQLite, PostgreSQL, D1 in workerd) must pass these same tests.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reindexSearch } from "../../src/fhir/search-reindex.js";
import { normaliseString } from "../../src/fhir/search-strings.js";
import { findBrokenLink } from "../../src/store/hash-chain.js";
import {
  type ResourceWrite,
  type SearchCriterion,
  type SearchSort,
  type Store,
  StoreConflictError,
  type StoredVersion,
} from "../../src/store/port.js";

let seq = 0;
/** Unique ids per test so the suite can share one database. */
const uid = (p: string) => `${p}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

function write(
  resourceType: string,
  id: string,
  versionId: number,
  resource: Record<string, unknown> | undefined,
  extra: Partial<ResourceWrite> = {},
): ResourceWrite {
  const lastUpdated = extra.lastUpdated ?? new Date(Date.UTC(2026, 0, 1, 0, 0, versionId)).toISOString();
  return {
    resourceType,
    id,
    versionId,
    lastUpdated,
    ...(resource ? { resource: { resourceType, id, ...resource } } : {}),
    tokens: [],
    references: [],
    ...extra,
  };
}

/**
 * Registers the storage contract for one driver. `open` returns a migrated store; the suite
 * names the driver in every test title so the output shows which ran.
 */
export function describeStoreContract(driver: string, open: () => Promise<Store>): void {
  describe(`storage contract [${driver}]`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it("creates, reads and vreads a resource", async () => {
      const id = uid("p");
      await store.commit({ resources: [write("Patient", id, 1, { gender: "female" })] });
      const cur = await store.read("Patient", id);
      expect(cur).toMatchObject({ resourceType: "Patient", id, versionId: 1, deleted: false });
      expect(cur?.resource).toEqual({ resourceType: "Patient", id, gender: "female" });
      expect((await store.vread("Patient", id, 1))?.resource).toEqual(cur?.resource);
      expect(await store.vread("Patient", id, 2)).toBeUndefined();
      expect(await store.read("Patient", uid("missing"))).toBeUndefined();
    });

    it("returns each version's stored JSON, the same resource, from every read path", async () => {
      const id = uid("p");
      const tag = uid("json");
      const tokens = [{ param: "identifier", system: "s", value: tag }];
      await store.commit({ resources: [write("Patient", id, 1, { gender: "female" }, { tokens })] });
      await store.commit({ resources: [write("Patient", id, 2, { gender: "male" }, { tokens })] });
      const text = (v: StoredVersion | undefined) =>
        v?.json === undefined ? undefined : typeof v.json === "string" ? v.json : new TextDecoder().decode(v.json);
      const found = await store.search({
        resourceType: "Patient",
        criteria: [{ kind: "token", param: "identifier", values: [{ value: tag }] }],
        count: 5,
        offset: 0,
        sort: "lastUpdated",
      });
      const paths = [
        await store.read("Patient", id),
        (await store.readMany([{ resourceType: "Patient", id }])).get(`Patient/${id}`),
        found.versions[0],
        (await store.history("Patient", id, { count: 1, offset: 0 })).versions[0],
      ];
      for (const v of paths) {
        expect(JSON.parse(text(v) ?? "null")).toEqual({ resourceType: "Patient", id, gender: "male" });
        expect(v?.resource).toEqual({ resourceType: "Patient", id, gender: "male" });
      }
      const first = await store.vread("Patient", id, 1);
      expect(JSON.parse(text(first) ?? "null")).toEqual({ resourceType: "Patient", id, gender: "female" });
    });

    it("stores any resource exactly: large (beyond the compression window), non-ASCII, escapes", async () => {
      const id = uid("p");
      const big = Array.from({ length: 3000 }, (_, i) => ({ text: `Línea ${i} — ✓ "quoted" \\ ${i % 7}` }));
      const resource = { note: big, name: [{ family: "O'Brien-Żółć 👪", given: ["\u0000\n\t"] }] };
      await store.commit({ resources: [write("Patient", id, 1, resource)] });
      expect((await store.read("Patient", id))?.resource).toEqual({ resourceType: "Patient", id, ...resource });
      expect((await store.vread("Patient", id, 1))?.resource).toEqual({ resourceType: "Patient", id, ...resource });
    });

    it("keeps every version and lists history newest first with a total", async () => {
      const id = uid("p");
      for (const v of [1, 2, 3]) await store.commit({ resources: [write("Patient", id, v, { active: v !== 2 })] });
      const cur = await store.read("Patient", id);
      expect(cur?.versionId).toBe(3);
      const h = await store.history("Patient", id, { count: 2, offset: 0 });
      expect(h.total).toBe(3);
      expect(h.versions.map((v) => v.versionId)).toEqual([3, 2]);
      const rest = await store.history("Patient", id, { count: 2, offset: 2 });
      expect(rest.versions.map((v) => v.versionId)).toEqual([1]);
      expect((await store.vread("Patient", id, 2))?.resource?.active).toBe(false);
    });

    it("lists type history newest first across resources, paging by key: a write between pages repeats nothing", async () => {
      const type = `T${uid("h").replace(/-/g, "")}`;
      const at = (s: number) => new Date(Date.UTC(2026, 1, 1, 0, 0, s)).toISOString();
      // a1, b1, a2 and c1 share one instant: ties are ordered by type, id, version (all descending).
      await store.commit({ resources: [write(type, "a", 1, { n: 1 }, { lastUpdated: at(1) })] });
      await store.commit({ resources: [write(type, "b", 1, { n: 2 }, { lastUpdated: at(2) })] });
      await store.commit({ resources: [write(type, "a", 2, { n: 3 }, { lastUpdated: at(3) })] });
      await store.commit({ resources: [write(type, "c", 1, { n: 4 }, { lastUpdated: at(3) })] });
      await store.commit({ resources: [write(type, "b", 2, undefined, { lastUpdated: at(4) })] });
      await store.commit({ resources: [write(`${type}x`, "a", 1, { n: 0 }, { lastUpdated: at(5) })] });
      const key = (v: { id: string; versionId: number }) => `${v.id}${v.versionId}`;

      const first = await store.historyAcross({ resourceType: type, count: 2 });
      expect(first.total).toBe(5);
      expect(first.versions.map(key)).toEqual(["b2", "c1"]);
      expect(first.versions[0]).toMatchObject({ deleted: true });
      expect(first.versions[0]?.resource).toBeUndefined();
      expect(first.versions[1]?.resource).toMatchObject({ n: 4 });

      // A new version lands between pages; it is newer than the cursor, so later pages do not show it again.
      await store.commit({ resources: [write(type, "c", 2, { n: 5 }, { lastUpdated: at(6) })] });
      const seen = first.versions.map(key);
      let last = first.versions.at(-1);
      while (last) {
        const cursor = { lastUpdated: last.lastUpdated, resourceType: type, id: last.id, versionId: last.versionId };
        const page = await store.historyAcross({ resourceType: type, count: 2, after: cursor });
        seen.push(...page.versions.map(key));
        last = page.versions.at(-1);
      }
      expect(seen).toEqual(["b2", "c1", "a2", "b1", "a1"]);

      expect((await store.historyAcross({ resourceType: type, since: at(3), count: 10 })).versions.map(key)).toEqual([
        "c2",
        "b2",
        "c1",
        "a2",
      ]);
      const bounded = await store.historyAcross({ resourceType: type, since: at(2), until: at(3), count: 10 });
      expect(bounded.total).toBe(3);
      expect(bounded.versions.map(key)).toEqual(["c1", "a2", "b1"]);
      expect((await store.historyAcross({ resourceType: type, count: 0 })).total).toBe(6);
      const uncounted = await store.historyAcross({ resourceType: type, count: 2, withoutTotal: true });
      expect(uncounted.versions.map(key)).toEqual(["c2", "b2"]);
    });

    it("lists system history across types and the versions current at an instant (_at)", async () => {
      // A window of time no other test (or earlier run against a kept database) writes in.
      const t0 = Date.UTC(2500, 0, 1) + (Date.now() % 1_000_000_000) * 100;
      const at = (s: number) => new Date(t0 + s * 1000).toISOString();
      const [p, o] = [uid("p"), uid("o")];
      await store.commit({ resources: [write("Patient", p, 1, { n: 1 }, { lastUpdated: at(1) })] });
      await store.commit({ resources: [write("Organization", o, 1, { n: 2 }, { lastUpdated: at(2) })] });
      await store.commit({ resources: [write("Patient", p, 2, { n: 3 }, { lastUpdated: at(4) })] });
      await store.commit({ resources: [write("Organization", o, 2, undefined, { lastUpdated: at(6) })] });
      const key = (v: { resourceType: string; versionId: number }) => `${v.resourceType}${v.versionId}`;

      const all = await store.historyAcross({ since: at(0), until: at(9), count: 10 });
      expect(all.total).toBe(4);
      expect(all.versions.map(key)).toEqual(["Organization2", "Patient2", "Organization1", "Patient1"]);

      // Current at some time in [3s, 3.001s): Patient v1 and Organization v1.
      const atThree = await store.historyAcross({ since: at(0), at: { start: at(3), end: at(3.001) }, count: 10 });
      expect(atThree.versions.map(key)).toEqual(["Organization1", "Patient1"]);
      // Current during [3s, 5s): Patient v1 until 4s, then v2; Organization v1 throughout.
      const span = await store.historyAcross({ since: at(0), at: { start: at(3), end: at(5) }, count: 10 });
      expect(span.versions.map(key)).toEqual(["Patient2", "Organization1", "Patient1"]);
      expect(span.total).toBe(3);
    });

    it("refuses to write a version twice (optimistic lock) and leaves the winner intact", async () => {
      const id = uid("p");
      await store.commit({ resources: [write("Patient", id, 1, { gender: "male" })] });
      await store.commit({ resources: [write("Patient", id, 2, { gender: "female" })] });
      await expect(store.commit({ resources: [write("Patient", id, 2, { gender: "other" })] })).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      expect((await store.read("Patient", id))?.resource?.gender).toBe("female");
    });

    it("commits a change set atomically: one conflict rolls back every write in it", async () => {
      const taken = uid("p");
      const fresh = uid("p");
      await store.commit({ resources: [write("Patient", taken, 1, {})] });
      await expect(
        store.commit({
          resources: [write("Patient", fresh, 1, {}), write("Patient", taken, 1, {})],
          log: [{ stream: "atomic-test", payload: { n: 1 } }],
          outbox: [{ id: uid("m"), topic: "t", payload: {} }],
        }),
      ).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.read("Patient", fresh)).toBeUndefined();
      expect(await store.readLog("atomic-test", 0, 10)).toEqual([]);
    });

    it("deletes by writing a marker version; search no longer finds it, history keeps it", async () => {
      const id = uid("p");
      const token = uid("del");
      await store.commit({
        resources: [write("Patient", id, 1, {}, { tokens: [{ param: "identifier", system: "s", value: token }] })],
      });
      await store.commit({ resources: [write("Patient", id, 2, undefined)] });
      const cur = await store.read("Patient", id);
      expect(cur).toMatchObject({ versionId: 2, deleted: true });
      expect(cur?.resource).toBeUndefined();
      const found = await store.search({
        resourceType: "Patient",
        criteria: [{ kind: "token", param: "identifier", values: [{ value: token }] }],
        count: 10,
        offset: 0,
        sort: "lastUpdated",
      });
      expect(found.total).toBe(0);
      expect((await store.history("Patient", id, { count: 10, offset: 0 })).total).toBe(2);
    });

    it("finds references by target whatever the target id's form, and never one id's rows for another's", async () => {
      // The store keeps 32-hex-digit ids and lowercase UUIDs as bytes (index-values.ts); ids that look
      // alike in bytes (the same hex digits with dashes, in capitals, 16 characters long) must stay apart.
      const hex = "0123456789abcdef0123456789abcdef";
      const targets = [
        `Patient/${hex}`,
        "Patient/01234567-89ab-cdef-0123-456789abcdef",
        "Patient/0123456789ABCDEF0123456789ABCDEF",
        "Patient/0123456789abcdef",
        "Patient/0123456789abcdef0",
        `Group/${hex}`,
      ];
      const type = `T${uid("r").replace(/-/g, "")}`;
      const owners = targets.map(() => uid("o"));
      await store.commit({
        resources: owners.map((id, i) =>
          write(type, id, 1, {}, { references: [{ param: "subject", target: targets[i] as string }] }),
        ),
      });
      for (const [i, target] of targets.entries()) {
        const found = await store.search({
          resourceType: type,
          criteria: [{ kind: "reference", param: "subject", targets: [target] }],
          count: 10,
          sort: "id",
        });
        expect(
          found.versions.map((v) => v.id),
          target,
        ).toEqual([owners[i]]);
      }
      const patients = await store.search({
        resourceType: type,
        criteria: [{ kind: "missing", param: "subject", index: "reference", missing: false, targetTypes: ["Patient"] }],
        count: 10,
        sort: "id",
      });
      expect(patients.versions.map((v) => v.id)).toEqual(owners.slice(0, 5).sort());
    });

    it("finds what points at many targets at once, as one reference search per target would", async () => {
      // More targets than one statement may bind (D1: 100), ids of every stored form, two target types, several
      // owners per target, a deleted owner, an owner whose reference moved, another type's rows, junk targets.
      const hex = "0123456789abcdef0123456789abcdef";
      const forms = [
        `Patient/${hex}`,
        "Patient/01234567-89ab-cdef-0123-456789abcdef",
        "Patient/0123456789ABCDEF0123456789ABCDEF",
        "Patient/0123456789abcdef",
        `Group/${hex}`,
      ];
      const tag = uid("t");
      const targets = [...forms, ...Array.from({ length: 130 }, (_, i) => `Patient/${tag}-${i}`)];
      const type = `T${uid("f").replace(/-/g, "")}`;
      const other = `${type}x`;
      const refTo = (target: string) => ({ references: [{ param: "subject", target }] });
      // Owner ids out of order, so id order is not write order: `z…` owners are written first.
      const owners = targets.map((t, i) => ({
        target: t,
        ids: [`z${i}-${tag}`, ...(i % 3 === 0 ? [`a${i}-${tag}`] : [])],
      }));
      await store.commit({
        resources: owners.flatMap((o) => o.ids.map((id) => write(type, id, 1, {}, refTo(o.target)))),
      });
      const gone = uid("gone");
      const moved = uid("moved");
      await store.commit({
        resources: [
          write(type, gone, 1, {}, refTo(targets[1] as string)),
          write(type, moved, 1, {}, refTo(targets[2] as string)),
          write(other, uid("x"), 1, {}, refTo(targets[1] as string)),
          write(type, uid("p"), 1, {}, { references: [{ param: "patient", target: targets[1] as string }] }),
        ],
      });
      await store.commit({
        resources: [write(type, gone, 2, undefined), write(type, moved, 2, {}, refTo(targets[3] as string))],
      });
      const asked = [...targets, targets[0] as string, "Patient/never-written", "not a reference", "Patient/"];
      const found = await store.findReferencing(type, "subject", asked);
      for (const target of asked) {
        const one = await store.search({
          resourceType: type,
          criteria: [{ kind: "reference", param: "subject", targets: [target] }],
          count: 50,
          sort: "id",
        });
        expect(
          (found.get(target) ?? []).map((v) => v.id),
          target,
        ).toEqual(one.versions.map((v) => v.id));
      }
      expect(found.get(targets[3] as string)?.map((v) => v.id)).toEqual([moved, `a3-${tag}`, `z3-${tag}`].sort());
      expect(found.get(targets[2] as string)?.map((v) => v.id)).toEqual([`z2-${tag}`]);
      expect(found.get(targets[1] as string)?.map((v) => v.id)).toEqual([`z1-${tag}`]);
      expect(found.get(targets[0] as string)?.[0]).toMatchObject({ resourceType: type, versionId: 1, deleted: false });
      expect(found.get(targets[0] as string)?.[0]?.resource?.id).toBe(`a0-${tag}`);
      expect([...found.keys()].sort()).toEqual([...targets].sort());
      expect(await store.findReferencing(type, "subject", [])).toEqual(new Map());
      expect(await store.findReferencing(type, "nothing", targets)).toEqual(new Map());
    });

    it("scans current resources by (type, id) from a cursor, skipping deleted ones", async () => {
      const a = `T${uid("s").replace(/-/g, "")}`;
      const b = `${a}b`;
      await store.commit({
        resources: [
          ...["c", "a", "e", "b", "d"].map((id) => write(a, id, 1, {})),
          ...["y", "x"].map((id) => write(b, id, 1, {})),
        ],
      });
      await store.commit({ resources: [write(a, "d", 2, undefined)] });
      const key = (v: StoredVersion) => `${v.resourceType}/${v.id}`;
      expect((await store.scanCurrent({ resourceType: a, id: "a" }, 5)).map(key)).toEqual([
        `${a}/b`,
        `${a}/c`,
        `${a}/e`,
        `${b}/x`,
        `${b}/y`,
      ]);
      expect((await store.scanCurrent({ resourceType: a, id: "e" }, 1)).map(key)).toEqual([`${b}/x`]);
      expect((await store.scanCurrent({ resourceType: a, id: "" }, 2)).map(key)).toEqual([`${a}/a`, `${a}/b`]);
    });

    it("searches by token with and without system, by reference, by id and by lastUpdated", async () => {
      const value = uid("nhs");
      const patient = uid("p");
      const other = uid("p");
      const obs = [uid("o"), uid("o"), uid("o")];
      await store.commit({
        resources: [
          write("Patient", patient, 1, {}, { tokens: [{ param: "identifier", system: "sys-a", value }] }),
          write("Patient", other, 1, {}, { tokens: [{ param: "identifier", system: "sys-b", value }] }),
          ...obs.map((id, i) =>
            write(
              "Observation",
              id,
              1,
              {},
              {
                lastUpdated: `2026-02-0${i + 1}T00:00:00.000Z`,
                references: [{ param: "subject", target: `Patient/${i < 2 ? patient : other}` }],
              },
            ),
          ),
        ],
      });
      const search = (resourceType: string, criteria: Parameters<Store["search"]>[0]["criteria"]) =>
        store.search({ resourceType, criteria, count: 50, offset: 0, sort: "lastUpdated" });
      const ids = async (p: Promise<{ versions: { id: string }[] }>) => (await p).versions.map((v) => v.id).sort();

      expect(await ids(search("Patient", [{ kind: "token", param: "identifier", values: [{ value }] }]))).toEqual(
        [patient, other].sort(),
      );
      expect(
        await ids(search("Patient", [{ kind: "token", param: "identifier", values: [{ system: "sys-b", value }] }])),
      ).toEqual([other]);
      expect(
        await ids(search("Observation", [{ kind: "reference", param: "subject", targets: [`Patient/${patient}`] }])),
      ).toEqual(obs.slice(0, 2).sort());
      expect(await ids(search("Observation", [{ kind: "id", values: [obs[2] as string] }]))).toEqual([obs[2]]);
      const inFeb = await ids(
        search("Observation", [
          { kind: "id", values: obs },
          { kind: "lastUpdated", comparator: "ge", value: "2026-02-02T00:00:00.000Z" },
          { kind: "lastUpdated", comparator: "lt", value: "2026-02-03T00:00:00.000Z" },
        ]),
      );
      expect(inFeb).toEqual([obs[1]]);
    });

    it("pages search results in a stable order with a correct total", async () => {
      const tag = uid("page");
      const ids = Array.from({ length: 7 }, () => uid("e"));
      await store.commit({
        resources: ids.map((id) =>
          write("Encounter", id, 1, {}, { tokens: [{ param: "identifier", system: "", value: tag }] }),
        ),
      });
      const seen: string[] = [];
      for (let offset = 0; offset < 9; offset += 3) {
        const page = await store.search({
          resourceType: "Encounter",
          criteria: [{ kind: "token", param: "identifier", values: [{ value: tag }] }],
          count: 3,
          offset,
          sort: "lastUpdated",
        });
        expect(page.total).toBe(7);
        seen.push(...page.versions.map((v) => v.id));
      }
      expect(seen.sort()).toEqual([...ids].sort());
    });

    it("replaces a resource's index entries when it is updated", async () => {
      const id = uid("p");
      const [a, b] = [uid("a"), uid("b")];
      await store.commit({
        resources: [write("Patient", id, 1, {}, { tokens: [{ param: "identifier", system: "", value: a }] })],
      });
      await store.commit({
        resources: [write("Patient", id, 2, {}, { tokens: [{ param: "identifier", system: "", value: b }] })],
      });
      const by = (value: string) =>
        store.search({
          resourceType: "Patient",
          criteria: [{ kind: "token", param: "identifier", values: [{ value }] }],
          count: 5,
          offset: 0,
          sort: "lastUpdated",
        });
      expect((await by(a)).total).toBe(0);
      expect((await by(b)).total).toBe(1);
    });

    it("updates leave unchanged kinds of index rows in place and replace changed ones, after a failed write too", async () => {
      const id = uid("p");
      const [a, b, c] = [uid("a"), uid("b"), uid("c")];
      const token = (value: string) => ({ tokens: [{ param: "identifier", system: "", value }] });
      const strings = (value: string) => [{ param: "family", value, exact: value }];
      const dates = (day: string) => [
        { param: "birthdate", low: `${day}T00:00:00.000Z`, high: `${day}T23:59:59.999Z` },
      ];
      const find = async (criterion: SearchCriterion) =>
        (await store.search({ resourceType: "Patient", criteria: [criterion], count: 5, offset: 0, sort: "id" })).total;
      const byToken = (value: string) => find({ kind: "token", param: "identifier", values: [{ value }] });
      const byString = (value: string) => find({ kind: "string", param: "family", match: "exact", values: [value] });
      const byDate = (day: string) =>
        find({
          kind: "date",
          param: "birthdate",
          values: [{ prefix: "eq", start: `${day}T00:00:00.000Z`, end: `${day}T23:59:59.999Z` }],
        });
      await store.commit({
        resources: [write("Patient", id, 1, {}, { ...token(a), strings: strings(a), dates: dates("1980-01-01") })],
      });
      // v2: only the date changes.
      await store.commit({
        resources: [write("Patient", id, 2, {}, { ...token(a), strings: strings(a), dates: dates("1981-02-02") })],
      });
      expect([await byToken(a), await byString(a), await byDate("1980-01-01"), await byDate("1981-02-02")]).toEqual([
        1, 1, 0, 1,
      ]);
      // v3: the token changes, the strings go, the date stays.
      await store.commit({ resources: [write("Patient", id, 3, {}, { ...token(b), dates: dates("1981-02-02") })] });
      expect([await byToken(a), await byToken(b), await byString(a), await byDate("1981-02-02")]).toEqual([0, 1, 0, 1]);
      // A write that loses (version 3 again) changes nothing; the next one still leaves the index right.
      await expect(
        store.commit({ resources: [write("Patient", id, 3, {}, { ...token(c), strings: strings(c) })] }),
      ).rejects.toBeInstanceOf(StoreConflictError);
      expect([await byToken(b), await byToken(c), await byString(c)]).toEqual([1, 0, 0]);
      await store.commit({
        resources: [write("Patient", id, 4, {}, { ...token(b), strings: strings(c), dates: dates("1981-02-02") })],
      });
      expect([await byToken(b), await byString(c), await byDate("1981-02-02")]).toEqual([1, 1, 1]);
      // A deletion drops every row; a later version brings back what it holds.
      await store.commit({ resources: [write("Patient", id, 5, undefined)] });
      expect([await byToken(b), await byString(c), await byDate("1981-02-02")]).toEqual([0, 0, 0]);
      await store.commit({
        resources: [write("Patient", id, 6, {}, { ...token(b), strings: strings(c), dates: dates("1981-02-02") })],
      });
      expect([await byToken(b), await byString(c), await byDate("1981-02-02")]).toEqual([1, 1, 1]);
    });

    it("takes two versions of one resource in one change set: history keeps both, current and index follow the newer", async () => {
      const id = uid("p");
      const [a, b] = [uid("a"), uid("b")];
      await store.commit({
        resources: [
          write("Patient", id, 1, { gender: "female" }, { tokens: [{ param: "identifier", system: "", value: a }] }),
          write("Patient", id, 2, { gender: "male" }, { tokens: [{ param: "identifier", system: "", value: b }] }),
        ],
      });
      expect((await store.read("Patient", id))?.versionId).toBe(2);
      expect((await store.read("Patient", id))?.resource?.gender).toBe("male");
      expect((await store.vread("Patient", id, 1))?.resource?.gender).toBe("female");
      const by = (value: string) =>
        store.search({
          resourceType: "Patient",
          criteria: [{ kind: "token", param: "identifier", values: [{ value }] }],
          count: 5,
          offset: 0,
          sort: "lastUpdated",
        });
      expect((await by(a)).total).toBe(0);
      expect((await by(b)).total).toBe(1);
    });

    it("commits a change set of many resources across statements (more rows than one statement may bind)", async () => {
      const ids = Array.from({ length: 130 }, () => uid("m"));
      const tag = uid("tag");
      await store.commit({
        resources: ids.map((id) =>
          write(
            "Observation",
            id,
            1,
            { status: "final" },
            {
              tokens: [{ param: "identifier", system: "batch", value: tag }],
              references: [{ param: "subject", target: `Patient/${tag}` }],
            },
          ),
        ),
      });
      const page = await store.search({
        resourceType: "Observation",
        criteria: [{ kind: "reference", param: "subject", targets: [`Patient/${tag}`] }],
        count: 200,
        offset: 0,
        sort: "lastUpdated",
      });
      expect(page.total).toBe(130);
      // A second change set updating all of them replaces every index row exactly once.
      await store.commit({
        resources: ids.map((id) =>
          write(
            "Observation",
            id,
            2,
            { status: "amended" },
            {
              tokens: [{ param: "identifier", system: "batch", value: tag }],
            },
          ),
        ),
      });
      const after = await store.search({
        resourceType: "Observation",
        criteria: [{ kind: "token", param: "identifier", values: [{ system: "batch", value: tag }] }],
        count: 200,
        offset: 0,
        sort: "lastUpdated",
      });
      expect(after.total).toBe(130);
      expect(after.versions.every((v) => v.versionId === 2)).toBe(true);
      const refs = await store.search({
        resourceType: "Observation",
        criteria: [{ kind: "reference", param: "subject", targets: [`Patient/${tag}`] }],
        count: 5,
        offset: 0,
        sort: "lastUpdated",
      });
      expect(refs.total).toBe(0);
    });

    it("reads many current versions at once, across types and more ids than one statement may bind", async () => {
      const ids = Array.from({ length: 120 }, () => uid("r"));
      const gone = uid("gone");
      const obs = uid("o");
      await store.commit({
        resources: [
          ...ids.map((id) => write("Patient", id, 1, { gender: "female" })),
          write("Patient", gone, 1, {}),
          write("Observation", obs, 1, { status: "final" }),
        ],
      });
      await store.commit({
        resources: [write("Patient", gone, 2, undefined), write("Observation", obs, 2, { status: "amended" })],
      });
      const keys = [
        ...ids.map((id) => ({ resourceType: "Patient", id })),
        { resourceType: "Patient", id: gone },
        { resourceType: "Observation", id: obs },
        { resourceType: "Patient", id: uid("never") },
        { resourceType: "Patient", id: ids[0] as string },
      ];
      const found = await store.readMany(keys);
      expect(found.size).toBe(122);
      expect(found.get(`Patient/${ids[119]}`)).toMatchObject({ versionId: 1, deleted: false });
      expect(found.get(`Patient/${gone}`)).toMatchObject({ versionId: 2, deleted: true });
      expect(found.get(`Observation/${obs}`)?.resource?.status).toBe("amended");
      expect(await store.readMany([])).toEqual(new Map());
    });

    it("writes more index entries than one statement may bind", async () => {
      const id = uid("p");
      const tokens = Array.from({ length: 60 }, (_, i) => ({ param: "identifier", system: "s", value: `${id}-${i}` }));
      await store.commit({ resources: [write("Patient", id, 1, {}, { tokens })] });
      const page = await store.search({
        resourceType: "Patient",
        criteria: [{ kind: "token", param: "identifier", values: [{ system: "s", value: `${id}-59` }] }],
        count: 5,
        offset: 0,
        sort: "lastUpdated",
      });
      expect(page.versions.map((v) => v.id)).toEqual([id]);
    });

    const idsOf = async (resourceType: string, criteria: SearchCriterion[], sort: SearchSort = "id") =>
      (await store.search({ resourceType, criteria, count: 100, sort })).versions.map((v) => v.id).sort();

    it("searches strings: normalised starts-with, :exact and :contains, any part, values ORed", async () => {
      const tag = uid("s");
      const [a, b, c] = [uid("p"), uid("p"), uid("p")];
      const str = (value: string) => ({ param: "name", value: normaliseString(value), exact: value });
      const tokens = [{ param: "identifier", system: "t", value: tag }];
      await store.commit({
        resources: [
          write("Patient", a, 1, {}, { tokens, strings: [str("Zoë"), str("Ångström")] }),
          write("Patient", b, 1, {}, { tokens, strings: [str("Zoey"), str("Smith")] }),
          write("Patient", c, 1, {}, { tokens, strings: [str("Bazoe")] }),
        ],
      });
      const by = (values: string[], match: "prefix" | "exact" | "contains") =>
        idsOf("Patient", [
          { kind: "token", param: "identifier", values: [{ system: "t", value: tag }] },
          { kind: "string", param: "name", values, match },
        ]);
      expect(await by(["zoe"], "prefix")).toEqual([a, b].sort());
      expect(await by(["angst"], "prefix")).toEqual([a]);
      expect(await by(["zoe"], "contains")).toEqual([a, b, c].sort());
      expect(await by(["Zoë"], "exact")).toEqual([a]);
      expect(await by(["zoë"], "exact")).toEqual([]);
      expect(await by(["smi", "baz"], "prefix")).toEqual([b, c].sort());
      expect(await by(["100%_"], "contains")).toEqual([]);
    });

    it("searches date ranges with every R4 prefix (periods and partial dates as ranges)", async () => {
      const tag = uid("d");
      const tokens = [{ param: "identifier", system: "t", value: tag }];
      const range = (low: string, high: string) => [{ param: "date", low, high }];
      const [day, year, open, longAgo] = [uid("e"), uid("e"), uid("e"), uid("e")];
      await store.commit({
        resources: [
          // 2026-03-10 (a day); the year 2026; a period from 2026-03-15 still open; 2020-01-01 – 2020-02-01.
          write(
            "Encounter",
            day,
            1,
            {},
            { tokens, dates: range("2026-03-10T00:00:00.000Z", "2026-03-11T00:00:00.000Z") },
          ),
          write(
            "Encounter",
            year,
            1,
            {},
            { tokens, dates: range("2026-01-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z") },
          ),
          write(
            "Encounter",
            open,
            1,
            {},
            { tokens, dates: range("2026-03-15T00:00:00.000Z", "9999-12-31T23:59:59.999Z") },
          ),
          write(
            "Encounter",
            longAgo,
            1,
            {},
            { tokens, dates: range("2020-01-01T00:00:00.000Z", "2020-02-01T00:00:00.000Z") },
          ),
        ],
      });
      // The search value 2026-03 covers [2026-03-01, 2026-04-01).
      const march = { start: "2026-03-01T00:00:00.000Z", end: "2026-04-01T00:00:00.000Z" };
      const by = (prefix: "eq" | "ne" | "gt" | "lt" | "ge" | "le" | "sa" | "eb" | "ap") =>
        idsOf("Encounter", [
          { kind: "token", param: "identifier", values: [{ system: "t", value: tag }] },
          { kind: "date", param: "date", values: [{ prefix, ...march }] },
        ]);
      expect(await by("eq")).toEqual([day]);
      expect(await by("ne")).toEqual([year, open, longAgo].sort());
      expect(await by("gt")).toEqual([year, open].sort());
      expect(await by("lt")).toEqual([year, longAgo].sort());
      expect(await by("ge")).toEqual([day, year, open].sort());
      expect(await by("le")).toEqual([day, year, longAgo].sort());
      expect(await by("sa")).toEqual([]);
      expect(await by("eb")).toEqual([longAgo]);
      expect(await by("ap")).toEqual([day, year, open].sort());
    });

    it("searches tokens with :not and any parameter with :missing", async () => {
      const tag = uid("t");
      const [f, m, none] = [uid("p"), uid("p"), uid("p")];
      const id = [{ param: "identifier", system: "t", value: tag }];
      await store.commit({
        resources: [
          write("Patient", f, 1, {}, { tokens: [...id, { param: "gender", system: "", value: "female" }] }),
          write("Patient", m, 1, {}, { tokens: [...id, { param: "gender", system: "", value: "male" }] }),
          write("Patient", none, 1, {}, { tokens: id }),
        ],
      });
      const mine: SearchCriterion = { kind: "token", param: "identifier", values: [{ system: "t", value: tag }] };
      expect(
        await idsOf("Patient", [mine, { kind: "token", param: "gender", values: [{ value: "male" }], not: true }]),
      ).toEqual([f, none].sort());
      expect(
        await idsOf("Patient", [mine, { kind: "missing", param: "gender", index: "token", missing: true }]),
      ).toEqual([none]);
      expect(
        await idsOf("Patient", [mine, { kind: "missing", param: "gender", index: "token", missing: false }]),
      ).toEqual([f, m].sort());
      expect(
        await idsOf("Patient", [mine, { kind: "missing", param: "birthdate", index: "date", missing: true }]),
      ).toEqual([f, m, none].sort());
    });

    for (const sort of ["id", "-id", "lastUpdated", "-lastUpdated"] as const) {
      it(`pages by cursor (${sort}): inserts and deletes between pages, each surviving resource exactly once`, async () => {
        const tag = uid("k");
        const tokens = [{ param: "identifier", system: "k", value: tag }];
        const at = (i: number) => new Date(Date.UTC(2026, 4, 1, 0, 0, i)).toISOString();
        const original = Array.from({ length: 10 }, (_, i) => `${tag}-${String(i).padStart(2, "0")}`);
        await store.commit({
          resources: original.map((id, i) => write("Encounter", id, 1, {}, { tokens, lastUpdated: at(i % 5) })),
        });
        const criteria: SearchCriterion[] = [
          { kind: "token", param: "identifier", values: [{ system: "k", value: tag }] },
        ];
        const seen: string[] = [];
        const deleted = new Set<string>();
        let after: { key: string; id: string } | undefined;
        for (let page = 0; page < 20; page++) {
          const p = await store.search({
            resourceType: "Encounter",
            criteria,
            count: 3,
            sort,
            ...(after ? { after } : {}),
          });
          seen.push(...p.versions.map((v) => v.id));
          if (page === 0) {
            // Delete one resource already seen and one not yet seen; insert before and after the cursor.
            const unseen = original.find((id) => !seen.includes(id)) as string;
            for (const id of [seen[0] as string, unseen]) deleted.add(id);
            await store.commit({
              resources: [
                write("Encounter", seen[0] as string, 2, undefined, { lastUpdated: at(9) }),
                write("Encounter", unseen, 2, undefined, { lastUpdated: at(9) }),
                write("Encounter", `${tag}-00a`, 1, {}, { tokens, lastUpdated: at(0) }),
                write("Encounter", `${tag}-99`, 1, {}, { tokens, lastUpdated: at(7) }),
              ],
            });
          }
          const last = p.versions[p.versions.length - 1];
          if (!p.more || !last) break;
          after = { key: sort.endsWith("id") ? last.id : last.lastUpdated, id: last.id };
        }
        expect(new Set(seen).size).toBe(seen.length);
        for (const id of original) if (!deleted.has(id)) expect(seen).toContain(id);
        expect(seen.filter((id) => deleted.has(id)).length).toBeLessThanOrEqual(1);
        const total = await store.search({ resourceType: "Encounter", criteria, count: 0, sort });
        expect(total.total).toBe(10);
      });
    }

    it("appends log entries in order with an intact hash chain", async () => {
      const stream = uid("audit");
      await store.commit({
        log: [
          { stream, payload: { n: 1 } },
          { stream, payload: { n: 2 } },
        ],
      });
      await store.commit({ log: [{ stream, payload: { n: 3, nested: { b: 1, a: 2 } } }] });
      const entries = await store.readLog(stream, 0, 100);
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(entries.map((e) => e.payload.n)).toEqual([1, 2, 3]);
      expect(await findBrokenLink(entries)).toBeUndefined();
      const tampered = entries.map((e) => (e.seq === 2 ? { ...e, payload: { n: 99 } } : e));
      expect(await findBrokenLink(tampered)).toBe(2);
      expect((await store.readLog(stream, 2, 100)).map((e) => e.seq)).toEqual([3]);
    });

    it("delivers outbox messages once each, retries failures and gives up when told", async () => {
      const [ok, flaky] = [uid("m"), uid("m")];
      await store.commit({
        outbox: [
          { id: ok, topic: "notify", payload: { to: "la" }, availableAt: "2020-01-01T00:00:00.000Z" },
          { id: flaky, topic: "notify", payload: { to: "la" }, availableAt: "2020-01-01T00:00:01.000Z" },
        ],
      });
      const now = "2030-01-01T00:00:00.000Z";
      const lease = "2030-01-01T00:01:00.000Z";
      const first = await store.claimOutbox(now, lease, 1000);
      const mine = first.filter((m) => m.id === ok || m.id === flaky);
      expect(mine.map((m) => m.id).sort()).toEqual([ok, flaky].sort());
      expect(mine.every((m) => m.status === "leased" && m.attempts === 1)).toBe(true);
      // Leased messages are not handed out again while the lease holds.
      expect((await store.claimOutbox(now, lease, 1000)).some((m) => m.id === ok)).toBe(false);

      await store.markDelivered(ok);
      await store.markFailed(flaky, "HTTP 503", "2030-01-01T00:05:00.000Z");
      expect((await store.getOutbox(ok))?.status).toBe("delivered");
      expect(await store.getOutbox(flaky)).toMatchObject({ status: "pending", lastError: "HTTP 503" });
      expect((await store.claimOutbox("2030-01-01T00:04:00.000Z", lease, 1000)).some((m) => m.id === flaky)).toBe(
        false,
      );
      const retry = (await store.claimOutbox("2030-01-01T00:06:00.000Z", "2030-01-01T00:07:00.000Z", 1000)).find(
        (m) => m.id === flaky,
      );
      expect(retry?.attempts).toBe(2);
      await store.markFailed(flaky, "HTTP 410");
      expect((await store.getOutbox(flaky))?.status).toBe("dead");
    });

    it("keeps an outbox id once: queuing it again leaves the first message and its state, and commits the rest", async () => {
      const id = uid("m");
      await store.commit({ outbox: [{ id, topic: "t", payload: { n: 1 }, availableAt: "2020-01-01T00:00:00.000Z" }] });
      await store.claimOutbox("2032-01-01T00:00:00.000Z", "2032-01-01T00:01:00.000Z", 1000);
      await store.markDelivered(id);
      const fresh = uid("p");
      await store.commit({
        resources: [write("Patient", fresh, 1, {})],
        outbox: [
          { id, topic: "t", payload: { n: 2 } },
          { id, topic: "t", payload: { n: 3 } },
        ],
      });
      expect(await store.getOutbox(id)).toMatchObject({ status: "delivered", attempts: 1, payload: { n: 1 } });
      expect((await store.read("Patient", fresh))?.versionId).toBe(1);
    });

    it("hands an expired lease to the next claimant", async () => {
      const id = uid("m");
      await store.commit({ outbox: [{ id, topic: "t", payload: {}, availableAt: "2020-01-01T00:00:00.000Z" }] });
      await store.claimOutbox("2031-01-01T00:00:00.000Z", "2031-01-01T00:01:00.000Z", 1000);
      const again = await store.claimOutbox("2031-01-01T00:02:00.000Z", "2031-01-01T00:03:00.000Z", 1000);
      expect(again.find((m) => m.id === id)?.attempts).toBe(2);
    });

    // Last: it rewrites the index of every resource in the shared database from the stored JSON.
    it("reindexes resources stored without index rows (as before migration 0002), and records the version", async () => {
      const id = uid("p");
      const family = `Reindex${uid("f").replace(/[^a-z0-9]/g, "")}`;
      await store.commit({ resources: [write("Patient", id, 1, { name: [{ family }], birthDate: "1980-05-12" })] });
      const criteria: SearchCriterion[] = [
        { kind: "string", param: "family", values: [normaliseString(family)], match: "prefix" },
      ];
      expect(await idsOf("Patient", criteria)).toEqual([]);
      const result = await reindexSearch(store, { batchSize: 7 });
      expect(result.resources).toBeGreaterThan(0);
      expect(await idsOf("Patient", criteria)).toEqual([id]);
      expect(
        await idsOf("Patient", [
          ...criteria,
          {
            kind: "date",
            param: "birthdate",
            values: [{ prefix: "eq", start: "1980-01-01T00:00:00.000Z", end: "1981-01-01T00:00:00.000Z" }],
          },
        ]),
      ).toEqual([id]);
      expect(await store.searchIndexVersion()).toBe(result.toVersion);
    });

    it("keeps output files whole across parts, replaces them by key, and deletes them", async () => {
      const key = uid("returns/job/file");
      // 1.2 MB of varied bytes: three parts of at most 512 KiB, every byte value present.
      const bytes = new Uint8Array(1_200_000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 9)) & 0xff;
      expect(await store.readFile(key)).toBeUndefined();
      await store.putFile(key, { mediaType: "application/xml", bytes });
      const back = await store.readFile(key);
      expect(back?.mediaType).toBe("application/xml");
      expect(back?.bytes.length).toBe(bytes.length);
      expect(Buffer.from(back?.bytes ?? []).equals(Buffer.from(bytes))).toBe(true);
      // Replaced by a shorter file: no part of the longer one is left behind.
      await store.putFile(key, { mediaType: "text/csv", bytes: new TextEncoder().encode("a,b\n1,2\n") });
      const shorter = await store.readFile(key);
      expect(shorter?.mediaType).toBe("text/csv");
      expect(new TextDecoder().decode(shorter?.bytes)).toBe("a,b\n1,2\n");
      const empty = uid("returns/job/empty");
      await store.putFile(empty, { mediaType: "text/plain", bytes: new Uint8Array(0) });
      expect((await store.readFile(empty))?.bytes.length).toBe(0);
      expect(await store.deleteFiles([key, empty, uid("never-written")])).toBe(2);
      expect(await store.readFile(key)).toBeUndefined();
      expect(await store.readFile(empty)).toBeUndefined();
    });

    it("appends to a log stream only at the head a writer expects (compare-and-set)", async () => {
      const stream = uid("cas");
      await store.commit({ log: [{ stream, payload: { n: 1 }, expectSeq: 0 }] });
      // Two writers that both read head 1: one wins, the other is refused and writes nothing.
      const results = await Promise.allSettled([
        store.commit({ log: [{ stream, payload: { n: "a" }, expectSeq: 1 }] }),
        store.commit({ log: [{ stream, payload: { n: "b" }, expectSeq: 1 }] }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(StoreConflictError);
      await expect(store.commit({ log: [{ stream, payload: { n: 9 }, expectSeq: 0 }] })).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      const entries = await store.readLog(stream, 0, 10);
      expect(entries.map((e) => e.seq)).toEqual([1, 2]);
      expect(await findBrokenLink(entries)).toBeUndefined();
    });
  });
}
