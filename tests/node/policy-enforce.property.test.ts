// Property (fast-check): whatever a test caller asks of /fhir — read, vread, instance, type or system history, search
// with paging, _include, _revinclude or _summary=count — no response holds a record the protocol withholds from that
// caller, an element or extension above the level it permits (by the redaction table), or a total that counts a
// hidden record. What each caller may see is written out by hand in policy-enforce-fixtures.ts.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { covers, type Level } from "../../src/policy/levels.js";
import { levelOfElement, levelOfExtension } from "../../src/policy/redact.js";
import {
  CALLERS,
  type Caller,
  DELETED,
  type EnforceApp,
  EXPECTED,
  enforceApp,
  RECORDS,
  withheldAt,
} from "./policy-enforce-fixtures.js";

type Json = Record<string, unknown> & { resourceType: string; id: string };
interface Bundle {
  total: number;
  entry?: { resource?: Json; search?: { mode: string } }[];
  link?: { relation: string; url: string }[];
}

const ALL = [...Object.keys(RECORDS), DELETED];
const TYPES = ["Patient", "EpisodeOfCare", "Observation", "Practitioner", "Group"] as const;
const INCLUDES: Record<(typeof TYPES)[number], string[]> = {
  Patient: ["_revinclude=EpisodeOfCare:patient", "_revinclude=Observation:subject", "_revinclude=Group:member"],
  EpisodeOfCare: ["_include=EpisodeOfCare:patient", "_include=EpisodeOfCare:care-manager"],
  Observation: ["_include=Observation:subject"],
  Practitioner: ["_revinclude=EpisodeOfCare:care-manager"],
  Group: ["_include=Group:member"],
};
/** Versions each record has (the adult's Patient was updated once; the deleted Observation has its deletion). */
const VERSIONS: Record<string, number> = { "Patient/adult": 2, [DELETED]: 2 };

let e: EnforceApp;
beforeAll(async () => {
  e = await enforceApp();
});
afterAll(async () => {
  await e.store.close();
});

/** The level `caller` may see `key` at, `none` when withheld (also when withheld at its level). */
const levelFor = (caller: Caller, key: string): Level => {
  const level = EXPECTED[caller][key] ?? "none";
  return withheldAt(key, level) ? "none" : level;
};

/** Asserts that one returned resource is one `caller` may see, with nothing above its level. */
function checkResource(caller: Caller, r: Json, where: string): void {
  const key = `${r.resourceType}/${r.id}`;
  const level = levelFor(caller, key);
  expect(level, `${where}: ${key} returned to ${caller}`).not.toBe("none");
  for (const name of Object.keys(r)) {
    if (name === "resourceType" || name === "extension") continue;
    const needed = levelOfElement(r.resourceType, name, r);
    expect(covers(level, needed), `${where}: ${key}.${name} needs ${needed}, ${caller} has ${level}`).toBe(true);
  }
  for (const x of (r.extension as { url?: string }[] | undefined) ?? []) {
    const needed = levelOfExtension(r.resourceType, x.url);
    expect(covers(level, needed), `${where}: ${key} extension ${x.url} needs ${needed}`).toBe(true);
  }
}

function checkBundle(caller: Caller, b: Bundle, where: string): void {
  for (const x of b.entry ?? [])
    if (x.resource && x.search?.mode !== "outcome") checkResource(caller, x.resource, where);
}

/** Records (current or deleted) of `type` that `caller` may see. */
const visible = (caller: Caller, type?: string) =>
  ALL.filter((k) => (type === undefined || k.startsWith(`${type}/`)) && levelFor(caller, k) !== "none");

/** What a search may match: the visible records that are not deleted. */
const current = (caller: Caller, type: string) => visible(caller, type).filter((k) => k !== DELETED);

const request = fc.oneof(
  fc.record({ kind: fc.constant("read" as const), key: fc.constantFrom(...ALL) }),
  fc.record({ kind: fc.constant("vread" as const), key: fc.constantFrom(...ALL), version: fc.constantFrom(1, 2) }),
  fc.record({
    kind: fc.constant("history" as const),
    key: fc.constantFrom(...ALL),
    count: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant("search" as const),
    type: fc.constantFrom(...TYPES),
    count: fc.integer({ min: 1, max: 4 }),
    includes: fc.integer({ min: 0, max: 7 }),
    summaryCount: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("type-history" as const),
    type: fc.option(fc.constantFrom(...TYPES), { nil: undefined }),
    count: fc.integer({ min: 1, max: 5 }),
  }),
);

describe("enforcement on every read path (fast-check)", () => {
  it("never returns a hidden record, an element above the permitted level, or a total counting a hidden record", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...(Object.keys(CALLERS) as Caller[])), request, async (caller, req) => {
        const get = async (path: string) => e.as(caller, path.replace("http://gw.test", ""));
        if (req.kind === "read" || req.kind === "vread") {
          const path = req.kind === "read" ? `/fhir/${req.key}` : `/fhir/${req.key}/_history/${req.version}`;
          const res = await get(path);
          const level = levelFor(caller, req.key);
          const permitted = (EXPECTED[caller][req.key] ?? "none") !== "none";
          const exists = req.kind === "read" || req.version <= (VERSIONS[req.key] ?? 1);
          const deletion = req.key === DELETED && (req.kind === "read" || req.version === 2);
          if (!exists || !permitted) expect(res.status, path).toBe(404);
          else if (deletion) expect(res.status, path).toBe(410);
          else if (level === "none") expect(res.status, path).toBe(403);
          else {
            expect(res.status, path).toBe(200);
            checkResource(caller, (await res.json()) as Json, path);
          }
          return;
        }
        if (req.kind === "history") {
          const path = `/fhir/${req.key}/_history?_count=${req.count}`;
          const res = await get(path);
          if (levelFor(caller, req.key) === "none") {
            expect(res.status, path).toBe(404);
            return;
          }
          const b = (await res.json()) as Bundle;
          expect(b.total, path).toBe(VERSIONS[req.key] ?? 1);
          checkBundle(caller, b, path);
          return;
        }
        if (req.kind === "search") {
          const inc = INCLUDES[req.type].filter((_, i) => (req.includes >> i) & 1);
          const query = [`_count=${req.count}`, ...inc, ...(req.summaryCount ? ["_summary=count"] : [])].join("&");
          let url: string | undefined = `/fhir/${req.type}?${query}`;
          const seen: string[] = [];
          for (let pages = 0; url && pages < 12; pages++) {
            const res = await get(url);
            expect(res.status, url).toBe(200);
            const b = (await res.json()) as Bundle;
            expect(b.total, url).toBe(current(caller, req.type).length);
            checkBundle(caller, b, url);
            for (const x of b.entry ?? [])
              if (x.search?.mode === "match") seen.push(`${x.resource?.resourceType}/${x.resource?.id}`);
            url = b.link?.find((l) => l.relation === "next")?.url;
          }
          if (!req.summaryCount) expect(seen.sort()).toEqual(current(caller, req.type).sort());
          return;
        }
        const base = req.type ? `/fhir/${req.type}/_history` : "/fhir/_history";
        let url: string | undefined = `${base}?_count=${req.count}`;
        const expected = visible(caller, req.type).reduce((n, k) => n + (VERSIONS[k] ?? 1), 0);
        let listed = 0;
        for (let pages = 0; url && pages < 20; pages++) {
          const res = await get(url);
          expect(res.status, url).toBe(200);
          const b = (await res.json()) as Bundle;
          expect(b.total, url).toBe(expected);
          checkBundle(caller, b, url);
          listed += (b.entry ?? []).length;
          url = b.link?.find((l) => l.relation === "next")?.url;
        }
        expect(listed).toBe(expected);
      }),
      { numRuns: 80 },
    );
  }, 120_000);
});
