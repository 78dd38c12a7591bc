/** The thin contract each SQL driver (SQLite, D1, PostgreSQL) implements for the shared SQL store. */

/** A compiled statement: SQL text in the driver's dialect and its bound parameters. */
export interface SqlStatement {
  sql: string;
  parameters: readonly unknown[];
}

/** SQL dialect the statement compiler targets. D1 is SQLite. */
export type SqlDialect = "sqlite" | "postgres";

/**
 * Executes compiled statements. Drivers are deliberately thin: connection handling,
 * parameter passing, atomic batches and mapping unique-key violations to
 * `StoreConflictError`. All SQL is written once, in `sql-store.ts`.
 */
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  /** Most parameters one statement may bind (D1 allows 100). */
  readonly maxParameters: number;
  /** Runs a query and returns its rows. */
  all<R>(statement: SqlStatement): Promise<R[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(statement: SqlStatement): Promise<number>;
  /** Runs statements in order, atomically: all commit or none do. */
  batch(statements: SqlStatement[]): Promise<void>;
  /** Runs a script of several statements with no parameters (migrations). */
  exec(script: string): Promise<void>;
  /** Releases the connection or pool. */
  close(): Promise<void>;
}
