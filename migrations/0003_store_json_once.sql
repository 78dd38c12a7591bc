-- Schema v3: each resource version's JSON is stored once, in resource_versions.content, as the bytes
-- src/store/sql/body-codec.ts writes (DEFLATE against a preset dictionary, or plain UTF-8 JSON);
-- resources keeps only the pointer to its current version and what search filters and sorts on.
-- Rows written before this migration keep their JSON text and stay readable as they are.
--
-- One file for all three databases (see src/store/sql/migrate.ts): the block between the sqlite-only
-- markers is skipped on PostgreSQL, and `--postgres: ` lines (comments elsewhere) run only there.
--
-- SQLite and D1: resource_versions becomes WITHOUT ROWID, so it is stored once, as its primary-key
-- B-tree, instead of a table plus a copy of its key in an index. content keeps its TEXT declaration:
-- TEXT affinity stores BLOB values unchanged, so old rows are TEXT and new rows BLOB.
-- PostgreSQL: content becomes bytea (old text becomes its UTF-8 bytes). Everywhere: resources drops its copy.

-- sqlite-only begin
CREATE TABLE resource_versions_v3 (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  content TEXT,
  PRIMARY KEY (resource_type, id, version_id)
) WITHOUT ROWID;
INSERT INTO resource_versions_v3 (resource_type, id, version_id, last_updated, deleted, content)
  SELECT resource_type, id, version_id, last_updated, deleted, content FROM resource_versions;
DROP TABLE resource_versions;
ALTER TABLE resource_versions_v3 RENAME TO resource_versions;

-- sqlite-only end

ALTER TABLE resources DROP COLUMN content;

--postgres: ALTER TABLE resource_versions ALTER COLUMN content TYPE BYTEA USING convert_to(content, 'UTF8');

-- `patient` of these types is `subject` (or Provenance `target`) restricted to Patient targets: it is
-- now searched through those rows (SearchParamDef.indexedAs) and stores none of its own.
DELETE FROM search_references WHERE param = 'patient'
  AND resource_type IN ('Observation', 'CarePlan', 'CareTeam', 'ServiceRequest', 'Encounter', 'Flag', 'Provenance');
