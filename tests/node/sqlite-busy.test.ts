// SQLite beside another writer (issue 8, scope 4): while a second connection (a CLI ingest's) holds the write lock,
// the server's write waits for it without blocking the event loop, so reads keep being answered, and then succeeds.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStores } from "../../src/runtime/node.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp } from "../support/test-app.js";

describe("a write while another connection holds SQLite's write lock", () => {
  // Every /fhir read writes its audit entry first: the audit trail is in its own file (audit.sqlite), so the reads
  // do not wait for the data's write lock.
  it("waits asynchronously: reads sent meanwhile are answered before the lock is released, and the write then succeeds", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tfg-busy-"));
    const file = join(dir, "tfg.sqlite");
    const t = await createTestApp(await openSqliteStores(dir));
    const seeded = await t.fhir("/fhir/Patient", {
      method: "POST",
      json: { resourceType: "Patient", gender: "female" },
    });
    const { id } = (await seeded.json()) as { id: string };

    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE");
    const events: string[] = [];
    const write = t
      .fhir("/fhir/Patient", { method: "POST", json: { resourceType: "Patient", gender: "male" } })
      .then((res) => {
        events.push(`write ${res.status}`);
        return res;
      });
    // Give the write time to find the lock taken, then read while it waits.
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 5; i++) {
      const res = await t.fhir(`/fhir/Patient/${id}`);
      events.push(`read ${res.status}`);
    }
    const search = await t.fhir("/fhir/Patient?gender=female");
    events.push(`search ${search.status}`);
    await new Promise((r) => setTimeout(r, 300));
    events.push("lock released");
    other.exec("COMMIT");
    other.close();
    const res = await write;
    expect(res.status).toBe(201);
    expect(events).toEqual([
      "read 200",
      "read 200",
      "read 200",
      "read 200",
      "read 200",
      "search 200",
      "lock released",
      "write 201",
    ]);
    await t.store.close();
  });

  it("a write that waits longer than the limit is a 503 with Retry-After and an OperationOutcome, and writes nothing", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "tfg-busy-")), "tfg.sqlite");
    const t = await createTestApp(await openSqliteStore(file, loadMigrations(), undefined, 300));
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE");
    try {
      const res = await t.fhir("/fhir/Patient", { method: "POST", json: { resourceType: "Patient" } });
      expect(res.status).toBe(503);
      expect(res.headers.get("Retry-After")).toBe("5");
      expect(((await res.json()) as { issue: { code: string }[] }).issue[0]?.code).toBe("transient");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    const count = await t.fhir("/fhir/Patient?_summary=count");
    expect(((await count.json()) as { total: number }).total).toBe(0);
    await t.store.close();
  });
});
