// `npm run tfg -- audit verify --db FILE` on a SQLite file: exit 0 when intact; after a raw-SQL change, deletion or
// swap, a non-zero exit and a line naming the first broken entry.
import { spawnSync } from "node:child_process";
import { beforeEach, describe, expect, it } from "vitest";
import { recordReads } from "./audit-fixtures.js";
import { AUDIT_STORES, type TamperableStore } from "./audit-stores.js";

const verify = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/runtime/cli/tfg.ts", "audit", "verify", ...args], {
    encoding: "utf8",
    env: { ...process.env, TFG_DATA_DIR: "/nonexistent-tfg-data" },
  });

describe("tfg audit verify", () => {
  let db: TamperableStore;
  let file: string;
  beforeEach(async () => {
    db = await (AUDIT_STORES[0] as (typeof AUDIT_STORES)[number])[1]();
    file = db.file as string;
    await recordReads(db.store, 6);
    await db.store.close(); // the CLI opens the file itself
  });

  it("exits 0 and prints the count and head when the chain is intact", () => {
    const r = verify(["--db", file]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^audit log intact: 6 entries, head 6 [0-9a-f]{64}$/m);
  });

  it.each([
    [
      "a changed payload",
      "UPDATE log_entries SET payload = replace(payload, 'Patient/p3', 'Patient/p8') WHERE seq = 4",
      "entry 4 (AuditEvent/a0003)",
    ],
    ["a deleted row", "DELETE FROM log_entries WHERE seq = 2", "entry 2: it is missing"],
    [
      "two swapped rows",
      "UPDATE log_entries SET seq = -1 WHERE seq = 5; UPDATE log_entries SET seq = 5 WHERE seq = 6; UPDATE log_entries SET seq = 6 WHERE seq = -1",
      "entry 5 (AuditEvent/a0005)",
    ],
  ])("exits 1 naming the first broken entry after %s", async (_what, sql, named) => {
    await db.sql(db.unguard + sql);
    const r = verify(["--db", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`audit log broken at ${named}`);
  });

  it("checks a head recorded by an earlier run (--head SEQ:HASH): a cut tail exits 1", async () => {
    const first = verify(["--db", file]);
    const head = /head (\d+) ([0-9a-f]{64})/.exec(first.stdout);
    expect(head).not.toBeNull();
    await db.sql(`${db.unguard} DELETE FROM log_entries WHERE seq = 6`);
    expect(verify(["--db", file]).status).toBe(0);
    const cut = verify(["--db", file, "--head", `${head?.[1]}:${head?.[2]}`]);
    expect(cut.status).toBe(1);
    expect(cut.stderr).toContain("audit log broken at entry 6: it is missing, with every later entry");
    expect(verify(["--db", file, "--head", "six"]).status).toBe(2);
  });

  it("exits 3 when the file is not a database it can read", async () => {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(`${file}.junk`, "this is not a SQLite database, just text long enough to be read as a header");
    const r = verify(["--db", `${file}.junk`]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("audit verify could not read the store");
  });

  it("is a usage error (2) for a file that does not exist, or another subcommand", () => {
    const missing = verify(["--db", `${file}.absent`]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("No database file");
    const other = spawnSync(process.execPath, ["--import", "tsx", "src/runtime/cli/tfg.ts", "audit", "repair"], {
      encoding: "utf8",
    });
    expect(other.status).toBe(2);
  });
});
