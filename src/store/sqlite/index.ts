/** SQLite driver (better-sqlite3): the embedded default store on Node, a file under ./data. */
import Database from "better-sqlite3";
import { StoreConflictError } from "../port.js";
import type { SqlExecutor, SqlStatement } from "../sql/executor.js";
import { applyMigrations, type Migration } from "../sql/migrate.js";
import { SqlStore } from "../sql/sql-store.js";

function isConflict(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}

/** Wraps a better-sqlite3 connection as a {@link SqlExecutor}. */
export function sqliteExecutor(db: Database.Database): SqlExecutor {
  const params = (s: SqlStatement) => s.parameters as unknown[];
  // Prepared statements are reused: the store issues a small, fixed set of SQL shapes.
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= 500) cache.delete(cache.keys().next().value as string);
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  const runBatch = db.transaction((statements: SqlStatement[]) => {
    for (const s of statements) prepare(s.sql).run(...params(s));
  });
  return {
    dialect: "sqlite",
    maxParameters: 32766,
    async all<R>(s: SqlStatement) {
      return prepare(s.sql).all(...params(s)) as R[];
    },
    async run(s) {
      return prepare(s.sql).run(...params(s)).changes;
    },
    async batch(statements) {
      try {
        runBatch(statements);
      } catch (err) {
        if (isConflict(err)) throw new StoreConflictError();
        throw err;
      }
    },
    async exec(script) {
      db.exec(script);
    },
    async close() {
      db.close();
    },
  };
}

/** Opens (creating if needed) a SQLite store at `filename` (`:memory:` for tests) and applies migrations. */
export async function openSqliteStore(
  filename: string,
  migrations: Migration[],
  clock?: () => Date,
): Promise<SqlStore> {
  const db = new Database(filename);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  const exec = sqliteExecutor(db);
  await applyMigrations(exec, migrations);
  return new SqlStore(exec, clock);
}
