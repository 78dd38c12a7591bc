// A start-up killed mid-migration, for tests/node/store-startup.test.ts: applies the migrations through the real
// driver and SIGKILLs its own process right after the named migration's SQL ran, before anything else happens.
// Usage: tsx tests/support/migrate-and-die.ts sqlite <file> <migration> | postgres <url> <migration>
import pg from "pg";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { pgExecutor } from "../../src/store/postgres/index.js";
import type { SqlExecutor } from "../../src/store/sql/executor.js";
import { applyMigrations, type LockingExecutor, type MigrationTx } from "../../src/store/sql/migrate.js";
import { openSqliteDatabase, sqliteExecutor } from "../../src/store/sqlite/index.js";

const [dialect, target, victim] = process.argv.slice(2) as [string, string, string];
const migrations = loadMigrations();
const marker = migrations.find((m) => m.name === victim)?.sql.slice(0, 200);
if (!marker) throw new Error(`No migration ${victim}`);

/** Wraps exec(script) so the process dies the moment the victim's script has run. */
function dieAfter<T extends Pick<MigrationTx, "exec">>(x: T): T {
  const exec = x.exec.bind(x);
  return {
    ...x,
    exec: async (script: string) => {
      await exec(script);
      if (script.includes(marker as string)) {
        process.kill(process.pid, "SIGKILL");
        await new Promise(() => {});
      }
    },
  };
}

const inner: SqlExecutor =
  dialect === "sqlite"
    ? sqliteExecutor(await openSqliteDatabase(target))
    : pgExecutor(new pg.Pool({ connectionString: target, max: 2 }));
const locking = inner as Partial<LockingExecutor>;
const exec: SqlExecutor = dieAfter(
  locking.exclusive
    ? ({
        ...inner,
        exclusive: <R>(work: (tx: MigrationTx) => Promise<R>) =>
          (locking.exclusive as LockingExecutor["exclusive"])((tx) => work(dieAfter(tx))),
      } as LockingExecutor)
    : inner,
);
await applyMigrations(exec, migrations);
console.log("finished without dying");
process.exit(3);
