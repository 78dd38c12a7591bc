// The cache of stored JSON by version (src/fhir/version-bodies.ts): bounded, served without decoding, never stale
// (two gateways over one SQLite file each see the other's writes).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { VersionBodies } from "../../src/fhir/version-bodies.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { StoredVersion } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp } from "../support/test-app.js";

/** A stored version whose JSON getter counts how often the body is decoded. */
function counted(id: string, versionId: number, json: string) {
  const reads = { n: 0 };
  const v: StoredVersion = {
    resourceType: "Patient",
    id,
    versionId,
    lastUpdated: "2026-12-02T00:00:00.000Z",
    deleted: false,
    get json() {
      reads.n++;
      return json;
    },
  };
  return { v, reads };
}

describe("VersionBodies", () => {
  it("serves a version it has seen without decoding it again, and parses resource from the cached text", () => {
    const bodies = new VersionBodies();
    const { v, reads } = counted("a", 1, '{"resourceType":"Patient","id":"a","gender":"male"}');
    const first = bodies.serve(v);
    expect(reads.n).toBe(1); // a miss reads the stored body once, to remember it
    expect(first).toBe(v);
    const again = counted("a", 1, "not read");
    const served = bodies.serve(again.v);
    expect(again.reads.n).toBe(0);
    expect(served.json).toBe('{"resourceType":"Patient","id":"a","gender":"male"}');
    expect(served.resource).toEqual({ resourceType: "Patient", id: "a", gender: "male" });
    expect(served).toMatchObject({ resourceType: "Patient", id: "a", versionId: 1, deleted: false });
  });

  it("keys by version: another version of the same resource is read from the store", () => {
    const bodies = new VersionBodies();
    bodies.set("Patient", "a", 1, '{"v":1}');
    const next = counted("a", 2, '{"v":2}');
    expect(bodies.serve(next.v)).toBe(next.v);
    expect(next.reads.n).toBe(1);
    expect(bodies.get("Patient", "a", 2)).toBe('{"v":2}');
    expect(bodies.get("Observation", "a", 1)).toBeUndefined();
  });

  it("drops the least recently used versions beyond its entry and character bounds", () => {
    const bodies = new VersionBodies({ maxEntries: 3, maxChars: 1000 });
    for (const id of ["a", "b", "c"]) bodies.set("Patient", id, 1, `{"id":"${id}"}`);
    expect(bodies.get("Patient", "a", 1)).toBeDefined(); // a is now the most recently used
    bodies.set("Patient", "d", 1, '{"id":"d"}');
    expect(bodies.size).toBe(3);
    expect(bodies.get("Patient", "b", 1)).toBeUndefined();
    expect(bodies.get("Patient", "a", 1)).toBeDefined();

    const small = new VersionBodies({ maxEntries: 100, maxChars: 25 });
    small.set("Patient", "x", 1, "x".repeat(10));
    small.set("Patient", "y", 1, "y".repeat(10));
    small.set("Patient", "z", 1, "z".repeat(10));
    expect(small.get("Patient", "x", 1)).toBeUndefined();
    expect(small.size).toBe(2);
    small.set("Patient", "big", 1, "b".repeat(26)); // larger than the whole cache: not held
    expect(small.get("Patient", "big", 1)).toBeUndefined();
    expect(small.size).toBe(2);
  });

  it("passes deletions through untouched", () => {
    const bodies = new VersionBodies();
    const deleted: StoredVersion = {
      resourceType: "Patient",
      id: "a",
      versionId: 3,
      lastUpdated: "2026-12-02T00:00:00.000Z",
      deleted: true,
    };
    expect(bodies.serve(deleted)).toBe(deleted);
    expect(bodies.size).toBe(0);
  });
});

describe("reads with the cache, two gateways over one SQLite file", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("always serve the current version, whichever gateway wrote it", async () => {
    dir = mkdtempSync(join(tmpdir(), "tfg-bodies-"));
    const file = join(dir, "gw.sqlite");
    const a = await createTestApp(await openSqliteStore(file, loadMigrations()));
    const b = await createTestApp(await openSqliteStore(file, loadMigrations()));
    const json = { "Content-Type": "application/fhir+json" };
    const created = await a.fhir("/fhir/Patient", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ resourceType: "Patient", gender: "male" }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const read = async (t: typeof a) => (await (await t.fhir(`/fhir/Patient/${id}`)).json()) as Record<string, unknown>;
    expect((await read(a)).gender).toBe("male");
    expect((await read(b)).gender).toBe("male");

    for (const [writer, gender, version] of [
      [b, "female", "2"],
      [a, "other", "3"],
      [b, "unknown", "4"],
    ] as const) {
      const put = await writer.fhir(`/fhir/Patient/${id}`, {
        method: "PUT",
        headers: json,
        body: JSON.stringify({ resourceType: "Patient", id, gender }),
      });
      expect(put.status).toBe(200);
      for (const reader of [a, b]) {
        const r = await read(reader);
        expect(r.gender).toBe(gender);
        expect((r.meta as { versionId: string }).versionId).toBe(version);
      }
    }
    const vread = await a.fhir(`/fhir/Patient/${id}/_history/2`);
    expect(((await vread.json()) as { gender: string }).gender).toBe("female");
    await a.store.close();
    await b.store.close();
  });
});
