/** Applies the SQL migrations in migrations/ once each, in name order, recording them in tfg_migrations. */
import { createCompiler } from "./compiler.js";
import type { SqlExecutor } from "./executor.js";

/**
 * One migration file: its name (e.g. `0001_init.sql`) and SQL text, in the SQL shared by SQLite, D1
 * and PostgreSQL. Where the dialects must differ, PostgreSQL skips the lines from `-- sqlite-only begin`
 * to `-- sqlite-only end`, and runs the statement of each line starting `--postgres: `, a comment to
 * SQLite and to wrangler (which applies the same files to D1).
 */
export interface Migration {
  name: string;
  sql: string;
}

/**
 * Applies pending migrations. Node drivers call this on start; on Workers, wrangler applies the
 * same files to D1 (`wrangler d1 migrations apply`). Returns the names applied.
 */
export async function applyMigrations(exec: SqlExecutor, migrations: Migration[]): Promise<string[]> {
  const db = createCompiler(exec.dialect);
  await exec.exec(
    "CREATE TABLE IF NOT EXISTS tfg_migrations (name TEXT NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)",
  );
  const done = new Set(
    (await exec.all<{ name: string }>(db.selectFrom("tfg_migrations").select("name").compile())).map((r) => r.name),
  );
  const applied: string[] = [];
  for (const m of [...migrations].sort((a, b) => a.name.localeCompare(b.name))) {
    if (done.has(m.name)) continue;
    await exec.exec(exec.dialect === "postgres" ? forPostgres(m.sql) : m.sql);
    await exec.run(
      db.insertInto("tfg_migrations").values({ name: m.name, applied_at: new Date().toISOString() }).compile(),
    );
    applied.push(m.name);
  }
  return applied;
}

/** The script PostgreSQL runs: sqlite-only blocks dropped, `--postgres: ` lines made statements. */
export function forPostgres(sql: string): string {
  return sql.replace(/^-- sqlite-only begin$[\s\S]*?^-- sqlite-only end$/gm, "").replace(/^--postgres: /gm, "");
}
