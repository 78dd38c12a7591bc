-- 0008: output files the gateway keeps for a while (national returns, src/returns/jobs; docs/RETURNS.md), stored
-- in parts of at most 512 KiB so every row stays well inside D1's 2 MB row limit. Unlike log_entries these rows
-- may be deleted: a return's files are kept only until its retention ends, while its job log (in log_entries)
-- keeps the digest, the risk report and the receipt.
-- One file for all three databases (src/store/sql/migrate.ts): the block between the sqlite-only markers runs
-- on SQLite and D1, the `--postgres: ` line only on PostgreSQL.

-- sqlite-only begin
CREATE TABLE stored_files (
  file_key TEXT NOT NULL,
  part INTEGER NOT NULL,
  media_type TEXT NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (file_key, part)
) WITHOUT ROWID;
-- sqlite-only end

--postgres: CREATE TABLE stored_files (file_key TEXT NOT NULL, part INTEGER NOT NULL, media_type TEXT NOT NULL, bytes BYTEA NOT NULL, PRIMARY KEY (file_key, part));
