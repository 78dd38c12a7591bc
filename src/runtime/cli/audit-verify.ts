/** `npm run tfg -- audit verify [--db FILE] [--head SEQ:HASH] [--from SEQ:HASH]`: verifies the audit hash chain and names the first broken entry. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describeVerify, parseRecordedHead, verifyAuditLog } from "../../audit/verify.js";
import type { Store } from "../../store/port.js";
import { openSqliteStore } from "../../store/sqlite/index.js";
import { loadMigrations } from "../migration-files.js";
import { openNodeStore } from "../node.js";

/** Exit status of a broken chain (0: intact; 2: usage). */
export const BROKEN_EXIT = 1;
/** Exit status when the store could not be opened or read (nothing was verified). */
export const UNREADABLE_EXIT = 3;

/**
 * Verifies the SQLite file `db` (which must exist), or without it the configured store (TFG_DATABASE_URL, else
 * SQLite under TFG_DATA_DIR), against the head `head` recorded earlier when given, and only after the trusted head
 * `from` when given. Prints one line; returns the exit status, or a usage message to fail with.
 */
export async function auditVerifyCommand(
  db: string | undefined,
  head?: string,
  from?: string,
): Promise<number | string> {
  if (db !== undefined && !existsSync(resolve(db))) return `No database file at ${db}`;
  const expectHead = head === undefined ? undefined : parseRecordedHead(head);
  if (head !== undefined && !expectHead) return "--head takes a recorded head SEQ:HASH, as verify prints it";
  const after = from === undefined ? undefined : parseRecordedHead(from);
  if (from !== undefined && !after) return "--from takes a recorded head SEQ:HASH, as verify prints it";
  let store: Store | undefined;
  try {
    store =
      db !== undefined
        ? await openSqliteStore(resolve(db), loadMigrations())
        : await openNodeStore(process.env, resolve(process.env.TFG_DATA_DIR ?? "data"));
    const result = await verifyAuditLog(store, { expectHead, from: after });
    (result.ok ? console.log : console.error)(describeVerify(result));
    return result.ok ? 0 : BROKEN_EXIT;
  } catch (err) {
    console.error(`audit verify could not read the store: ${err instanceof Error ? err.message : String(err)}`);
    return UNREADABLE_EXIT;
  } finally {
    await store?.close();
  }
}
