// Start-up under crashes and concurrency (issue 8, scope 4), with real processes: three gateway servers started at
// once against one fresh SQLite file, and against one fresh PostgreSQL database, all come up; a start SIGKILLed in
// the middle of a migration leaves a database the next start migrates cleanly.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const NAMES = loadMigrations().map((m) => m.name);
const pgUrl = process.env.TFG_TEST_POSTGRES_URL;
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

/** Starts `npm run serve`'s entry point with `env`; resolves once it logs "gateway listening" (or fails when it exits). */
function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(TSX, [join(ROOT, "src/runtime/node.ts")], {
    cwd: ROOT,
    env: { ...process.env, TFG_PORT: "0", TFG_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  return new Promise((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("gateway listening")) done({ child, output });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => fail(new Error(`server exited with ${code} before listening: ${output.slice(-500)}`)));
  });
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** Runs tests/support/migrate-and-die.ts; resolves with how it ended (tsx reports its child's SIGKILL as exit 137). */
function migrateAndDie(dialect: "sqlite" | "postgres", target: string, victim: string): Promise<string> {
  const child = spawn(TSX, [join(ROOT, "tests/support/migrate-and-die.ts"), dialect, target, victim], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const collect = (c: Buffer) => {
    output += c.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return new Promise((done) =>
    child.on("exit", (code, signal) => done(signal === "SIGKILL" || code === 137 ? "SIGKILL" : `${code} ${output}`)),
  );
}

/** A fresh PostgreSQL database on the test server, dropped after `use`. */
async function withFreshDatabase(use: (url: string) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  const name = `tfg_startup_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(pgUrl as string);
  url.pathname = `/${name}`;
  try {
    await use(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function pgMigrations(url: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query("SELECT name FROM tfg_migrations ORDER BY name")).rows.map((r) => r.name);
  } finally {
    await c.end();
  }
}

const sqliteMigrations = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM tfg_migrations ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
};

describe("SQLite", () => {
  it("three servers started at once on one fresh file all come up, and the migrations are applied once", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tfg-three-"));
    const started = await Promise.allSettled([1, 2, 3].map(() => startServer({ TFG_DATA_DIR: dataDir })));
    const up = started.filter((s) => s.status === "fulfilled");
    expect(started.map((s) => (s.status === "rejected" ? String(s.reason) : "up"))).toEqual(["up", "up", "up"]);
    await Promise.all(up.map((s) => stop(s.value.child)));
    expect(sqliteMigrations(join(dataDir, "tfg.sqlite"))).toEqual(NAMES);
  }, 120_000);

  it("a start killed in the middle of a migration leaves a file the next start migrates cleanly", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "tfg-kill-")), "tfg.sqlite");
    expect(await migrateAndDie("sqlite", file, "0002_search_index.sql")).toBe("SIGKILL");
    expect(sqliteMigrations(file)).toEqual(NAMES.filter((n) => n < "0002"));
    const store = await openSqliteStore(file, loadMigrations());
    await store.close();
    expect(sqliteMigrations(file)).toEqual(NAMES);
  }, 60_000);
});

describe.skipIf(!pgUrl)("PostgreSQL (TFG_TEST_POSTGRES_URL)", () => {
  it("three servers started at once on one fresh database all come up, and the migrations are applied once", async () => {
    await withFreshDatabase(async (url) => {
      const started = await Promise.allSettled([1, 2, 3].map(() => startServer({ TFG_DATABASE_URL: url })));
      expect(started.map((s) => (s.status === "rejected" ? String(s.reason) : "up"))).toEqual(["up", "up", "up"]);
      await Promise.all(started.map((s) => (s.status === "fulfilled" ? stop(s.value.child) : undefined)));
      expect(await pgMigrations(url)).toEqual(NAMES);
    });
  }, 120_000);

  it("a start killed in the middle of a migration leaves a database the next start migrates cleanly", async () => {
    await withFreshDatabase(async (url) => {
      expect(await migrateAndDie("postgres", url, "0002_search_index.sql")).toBe("SIGKILL");
      expect(await pgMigrations(url)).toEqual(NAMES.filter((n) => n < "0002"));
      const store = await openPostgresStore(url, loadMigrations());
      await store.close();
      expect(await pgMigrations(url)).toEqual(NAMES);
    });
  }, 60_000);
});

if (!pgUrl) {
  it.skip("PostgreSQL start-up tests need TFG_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test)", () => {});
}
