/** Table shapes of migrations/*.sql, for the statement compiler's types. */
import type { Generated } from "kysely";

/** A row of `resources`: the current version of each resource, a pointer into `resource_versions`. */
export interface CurrentRow {
  resource_type: string;
  id: string;
  version_id: number;
  /** Milliseconds since the epoch (migration 0006; ISO text before). */
  last_updated: number;
  deleted: number;
}

/**
 * A version as queries return it (`resource_versions` joined to `resources` for the id). `content` is the
 * stored body (`body-codec.ts`): bytes (Uint8Array, Buffer, ArrayBuffer or D1's byte array, per driver), or
 * JSON text in SQLite rows written before migration 0003; null for a deletion.
 */
export interface ResourceRow extends CurrentRow {
  content: unknown;
}

/** A row of `resource_versions`: one version of the resource `rkey` names (migration 0006). */
export interface VersionRow {
  rkey: number;
  version_id: number;
  resource_type: string;
  last_updated: number;
  deleted: number;
  content: unknown;
}

/** The database as the compiler sees it. Keep in step with migrations/. */
export interface Database {
  /** `rkey`: the resource's integer key, which index rows carry (assigned by the database on insert). */
  resources: CurrentRow & { rkey: Generated<number> };
  resource_versions: VersionRow;
  /** (resource type, parameter, system or target type) interned as `code` (search-codes.ts). */
  search_codes: { code: Generated<number>; resource_type: string; param: string; system: string };
  search_tokens: { code: number; value: string; rkey: number };
  /** `target`: the referenced id as index-values.ts stores it (the target type is in `code`). */
  search_references: { code: number; target: Uint8Array; rkey: number };
  search_strings: { code: number; value: string; exact: string; rkey: number };
  /** `low`/`high`: the range [low, high) in milliseconds since the epoch. */
  search_dates: { code: number; low: number; high: number; rkey: number };
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
  /** Output files in parts (migration 0008): `bytes` is binary, per driver as for `content`. */
  stored_files: { file_key: string; part: number; media_type: string; bytes: unknown };
  tfg_migrations: { name: string; applied_at: string };
}
