/** Table shapes of migrations/*.sql, for the statement compiler's types. */

/** A row of `resources` and of `resource_versions`. */
export interface ResourceRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: string;
  deleted: number;
  content: string | null;
}

/** The database as the compiler sees it. Keep in step with migrations/. */
export interface Database {
  resources: ResourceRow;
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
