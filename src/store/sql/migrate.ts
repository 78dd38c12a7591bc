/**
 * Applies the SQL migrations in migrations/ once each, in name order, recording them in tfg_migrations. On the
 * Node drivers each migration and its record commit in one transaction that holds the database's write lock, so
 * a start killed mid-migration leaves nothing half-applied and several instances starting at once apply each
 * migration exactly once.
 */
import { createCompiler } from "./compiler.js";
import type { SqlExecutor, SqlStatement } from "./executor.js";

/**
 * One migration file: its name (e.g. `0001_init.sql`) and SQL text, in the SQL shared by SQLite, D1
 * and PostgreSQL. Where the dialects must differ, PostgreSQL skips the lines from `-- sqlite-only begin`
 * to `-- sqlite-only end`, and runs the statement of each line starting `--postgres: `, a comment to
 * SQLite and to wrangler (which applies the same files to D1). A migration must be transactional: no
 * BEGIN/COMMIT of its own, no `CREATE INDEX CONCURRENTLY`, no VACUUM.
 */
export interface Migration {
  name: string;
  sql: string;
}

/** What a migration runs on: one connection, inside one transaction. */
export interface MigrationTx {
  readonly dialect: SqlExecutor["dialect"];
  all<R>(statement: SqlStatement): Promise<R[]>;
  run(statement: SqlStatement): Promise<number>;
  exec(script: string): Promise<void>;
}

/**
 * An executor that can run work in one transaction holding the database's write lock for its whole length
 * (SQLite `BEGIN IMMEDIATE`; PostgreSQL a transaction-scoped advisory lock): committed when `work` resolves,
 * rolled back when it throws or the process dies.
 */
export interface LockingExecutor extends SqlExecutor {
  exclusive<T>(work: (tx: MigrationTx) => Promise<T>): Promise<T>;
}

/** The advisory lock key PostgreSQL instances take while migrating (any constant shared by every instance). */
export const MIGRATION_LOCK_KEY = 7_411_766_017;

const CREATE_TABLE =
  "CREATE TABLE IF NOT EXISTS tfg_migrations (name TEXT NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)";

const isLocking = (exec: SqlExecutor): exec is LockingExecutor =>
  typeof (exec as Partial<LockingExecutor>).exclusive === "function";

/**
 * Applies pending migrations. Node drivers call this on start; on Workers, wrangler applies the
 * same files to D1 (`wrangler d1 migrations apply`). Returns the names this call applied (none when
 * another instance applied them first).
 */
export async function applyMigrations(exec: SqlExecutor, migrations: Migration[]): Promise<string[]> {
  const ordered = [...migrations].sort((a, b) => a.name.localeCompare(b.name));
  const db = createCompiler(exec.dialect);
  const script = (m: Migration) => (exec.dialect === "postgres" ? forPostgres(m.sql) : m.sql);
  const record = (m: Migration) =>
    db.insertInto("tfg_migrations").values({ name: m.name, applied_at: new Date().toISOString() }).compile();
  const doneIn = async (tx: MigrationTx) =>
    new Set(
      (await tx.all<{ name: string }>(db.selectFrom("tfg_migrations").select("name").compile())).map((r) => r.name),
    );

  const applied: string[] = [];
  if (!isLocking(exec)) {
    // D1 (wrangler applies migrations there) and bare executors: no interactive transactions.
    await exec.exec(CREATE_TABLE);
    const done = await doneIn(exec);
    for (const m of ordered) {
      if (done.has(m.name)) continue;
      await exec.exec(script(m));
      await exec.run(record(m));
      applied.push(m.name);
    }
    return applied;
  }
  // One transaction per migration, each under the lock: whoever holds it sees what is applied, applies the
  // next one and records it, or finds nothing left. A kill rolls back the migration with its record.
  for (;;) {
    const next = await exec.exclusive(async (tx) => {
      await tx.exec(CREATE_TABLE);
      const done = await doneIn(tx);
      const m = ordered.find((x) => !done.has(x.name));
      if (!m) return undefined;
      await tx.exec(script(m));
      await tx.run(record(m));
      return m.name;
    });
    if (next === undefined) return applied;
    applied.push(next);
  }
}

/** The script PostgreSQL runs: sqlite-only blocks dropped, `--postgres: ` lines made statements. */
export function forPostgres(sql: string): string {
  return sql.replace(/^-- sqlite-only begin$[\s\S]*?^-- sqlite-only end$/gm, "").replace(/^--postgres: /gm, "");
}
