/** Table shapes of migrations/*.sql, for the statement compiler's types. */

/** A row of `resources`: the current version of each resource, a pointer into `resource_versions`. */
export interface CurrentRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: string;
  deleted: number;
}

/**
 * A row of `resource_versions`. `content` is the stored body (`body-codec.ts`): bytes (Uint8Array,
 * Buffer, ArrayBuffer or D1's byte array, per driver), or JSON text in SQLite rows written before
 * migration 0003; null for a deletion.
 */
export interface ResourceRow extends CurrentRow {
  content: unknown;
}

/** The database as the compiler sees it. Keep in step with migrations/. */
export interface Database {
  resources: CurrentRow;
  resource_versions: ResourceRow;
  search_tokens: { resource_type: string; id: string; param: string; system: string; value: string };
  search_references: { resource_type: string; id: string; param: string; target: string };
  search_strings: { resource_type: string; id: string; param: string; value: string; exact: string };
  search_dates: { resource_type: string; id: string; param: string; low: string; high: string };
  search_index_state: { name: string; version: number };
  log_entries: { stream: string; seq: number; recorded: string; payload: string; prev_hash: string; hash: string };
  outbox: {
    id: string;
    topic: string;
    payload: string;
    created_at: string;
    available_at: string;
    attempts: number;
    status: string;
    lease_until: string | null;
    last_error: string | null;
  };
  tfg_migrations: { name: string; applied_at: string };
}
