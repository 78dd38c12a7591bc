-- 0007: the audit log (log_entries, every stream) is append-only in the database as well as in the Store port
-- (issue 10 scope 7; docs/AUDIT.md). An UPDATE or DELETE of a row is refused by a trigger, so a stray statement
-- or a careless tool cannot change an audit entry. A database owner can still drop the trigger: then the hash
-- chain (src/audit/verify.ts) names the first entry changed, deleted or moved.
-- One file for all three databases (src/store/sql/migrate.ts): the block between the sqlite-only markers runs
-- on SQLite and D1, the `--postgres: ` lines only on PostgreSQL.

-- sqlite-only begin
CREATE TRIGGER log_entries_no_update BEFORE UPDATE ON log_entries
BEGIN
  SELECT RAISE(ABORT, 'log_entries is append-only');
END;
CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries
BEGIN
  SELECT RAISE(ABORT, 'log_entries is append-only');
END;
-- sqlite-only end

--postgres: CREATE FUNCTION tfg_log_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'log_entries is append-only'; END $$;
--postgres: CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON log_entries FOR EACH STATEMENT EXECUTE FUNCTION tfg_log_entries_append_only();
