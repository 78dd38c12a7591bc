-- Think Family Gateway schema v1: versioned FHIR resources, search index, append-only log, outbox.
-- Written in the SQL subset shared by SQLite, Cloudflare D1 and PostgreSQL: one file for all three.

CREATE TABLE resource_versions (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  content TEXT,
  PRIMARY KEY (resource_type, id, version_id)
);

CREATE TABLE resources (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  content TEXT,
  PRIMARY KEY (resource_type, id)
);

CREATE INDEX resources_by_updated ON resources (resource_type, deleted, last_updated);

CREATE TABLE search_tokens (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  param TEXT NOT NULL,
  system TEXT NOT NULL,
  value TEXT NOT NULL
);

CREATE INDEX search_tokens_by_value ON search_tokens (resource_type, param, value, system);
CREATE INDEX search_tokens_by_owner ON search_tokens (resource_type, id);

CREATE TABLE search_references (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  param TEXT NOT NULL,
  target TEXT NOT NULL
);

CREATE INDEX search_references_by_target ON search_references (resource_type, param, target);
CREATE INDEX search_references_by_owner ON search_references (resource_type, id);

CREATE TABLE log_entries (
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL,
  recorded TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (stream, seq)
);

CREATE TABLE outbox (
  id TEXT NOT NULL PRIMARY KEY,
  topic TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at TEXT NOT NULL,
  available_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'pending',
  lease_until TEXT,
  last_error TEXT
);

CREATE INDEX outbox_due ON outbox (status, available_at);
