/**
 * Verifies the audit trail: walks the hash-chained log stream in pages, recomputes every entry's hash, checks that
 * sequence numbers run 1, 2, 3… without a gap and that each entry names its predecessor's hash, and that the
 * searchable AuditEvent copy of each entry still equals it. Reports the first broken entry (its sequence number and
 * AuditEvent id) or that all is intact, with the count and the head (docs/AUDIT.md).
 */
import { canonicalJson, entryHash, GENESIS_HASH } from "../store/hash-chain.js";
import type { LogEntry, Store } from "../store/port.js";
import { AUDIT_STREAM } from "./audit-log.js";

/** Why an entry breaks the chain. */
export type BreakKind =
  /** Its content (payload, time or sequence number) no longer matches its hash. */
  | "altered"
  /** It does not name the hash of the entry before it (an entry was inserted, or re-hashed). */
  | "unlinked"
  /** The sequence number expected here is absent (an entry was deleted). */
  | "missing"
  /** Its stored row cannot be read (its payload is not JSON). */
  | "unreadable"
  /** Its searchable AuditEvent copy is absent or differs from the logged one. */
  | "copy-differs"
  /** It is consistent, but its hash is not the one recorded for it earlier (the chain was rebuilt from here or before). */
  | "rewritten"
  /** The log ends before the head recorded earlier (its newest entries were deleted). */
  | "truncated";

/** The first broken entry. */
export interface BrokenEntry {
  seq: number;
  /** The AuditEvent id of the entry (absent when the entry is missing or unreadable). */
  id?: string;
  kind: BreakKind;
}

/** The outcome of a verification. `count` is the number of entries checked and found intact before any break. */
export type VerifyResult =
  | { ok: true; count: number; head: { seq: number; hash: string }; after?: number }
  | { ok: false; count: number; broken: BrokenEntry };

/** A head recorded earlier (printed by a previous verify): entry `seq` had hash `hash`. */
export interface RecordedHead {
  seq: number;
  hash: string;
}

/**
 * Options: the stream (default `audit`), page size, whether to compare the searchable copies, and a head recorded
 * earlier outside the database, which catches what the chain alone cannot: a cut tail or a rebuilt chain.
 */
export interface VerifyOptions {
  stream?: string;
  pageSize?: number;
  checkCopies?: boolean;
  expectHead?: RecordedHead | undefined;
  /**
   * Verify only after this head, trusting everything up to it (it must still be there with this hash): an
   * incremental check from the head a previous verify printed, so a long log need not be walked again.
   */
  from?: RecordedHead | undefined;
}

/** Parses a recorded head written `SEQ:HASH` (as verify prints it); undefined when malformed. */
export function parseRecordedHead(text: string): RecordedHead | undefined {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  return m ? { seq: Number(m[1]), hash: m[2] as string } : undefined;
}

/** A page of the stream, and the sequence number of a row that could not be read after the entries returned. */
async function readPage(
  store: Store,
  stream: string,
  after: number,
  limit: number,
): Promise<{ entries: LogEntry[]; unreadable?: number }> {
  try {
    return { entries: await store.readLog(stream, after, limit) };
  } catch (err) {
    if (limit === 1) {
      if (err instanceof SyntaxError) return { entries: [], unreadable: after + 1 };
      throw err;
    }
    // Read one at a time up to the row that fails, so the break is named exactly.
    const entries: LogEntry[] = [];
    let last = after;
    for (let i = 0; i < limit; i++) {
      const one = await readPage(store, stream, last, 1);
      if (one.unreadable !== undefined) return { entries, unreadable: one.unreadable };
      const [entry] = one.entries;
      if (!entry) break;
      entries.push(entry);
      last = entry.seq;
    }
    return { entries };
  }
}

const idOf = (e: LogEntry) => (typeof e.payload.id === "string" ? e.payload.id : undefined);
const broken = (seq: number, kind: BreakKind, id?: string): BrokenEntry => ({ seq, kind, ...(id ? { id } : {}) });

/** Entries of a page whose AuditEvent copy is absent or differs; the first such, or undefined. */
async function firstBadCopy(store: Store, entries: LogEntry[]): Promise<LogEntry | undefined> {
  const keyed = entries.filter((e) => e.payload.resourceType === "AuditEvent" && idOf(e));
  const copies = await store.readMany(keyed.map((e) => ({ resourceType: "AuditEvent", id: idOf(e) as string })));
  for (const e of keyed) {
    const copy = copies.get(`AuditEvent/${idOf(e)}`);
    if (!copy || copy.deleted || canonicalJson(copy.resource) !== canonicalJson(e.payload)) return e;
  }
  return undefined;
}

/** Walks the stream once, from the start or after a trusted head (constant memory: one page at a time). */
export async function verifyAuditLog(store: Store, options: VerifyOptions = {}): Promise<VerifyResult> {
  const stream = options.stream ?? AUDIT_STREAM;
  const pageSize = Math.max(1, Math.min(options.pageSize ?? 100, 1000));
  const checkCopies = options.checkCopies ?? stream === AUDIT_STREAM;
  let prevHash = GENESIS_HASH;
  let expected = 1;
  let count = 0;
  const anchor = options.expectHead;
  const from = options.from;
  if (from && from.seq > 0) {
    const { entries, unreadable } = await readPage(store, stream, from.seq - 1, 1);
    const [start] = entries;
    if (unreadable !== undefined) return { ok: false, count, broken: broken(unreadable, "unreadable") };
    if (!start || start.seq !== from.seq) return { ok: false, count, broken: broken(from.seq, "truncated") };
    if (start.hash !== from.hash || entryHash(start) !== start.hash) {
      return { ok: false, count, broken: broken(from.seq, "rewritten", idOf(start)) };
    }
    prevHash = start.hash;
    expected = from.seq + 1;
  }
  for (;;) {
    const { entries: page, unreadable } = await readPage(store, stream, expected - 1, pageSize);
    const bad = checkCopies ? await firstBadCopy(store, page) : undefined;
    for (const e of page) {
      if (e.seq !== expected) return { ok: false, count, broken: broken(expected, "missing") };
      if (entryHash(e) !== e.hash) return { ok: false, count, broken: broken(e.seq, "altered", idOf(e)) };
      if (e.prevHash !== prevHash) return { ok: false, count, broken: broken(e.seq, "unlinked", idOf(e)) };
      if (e === bad) return { ok: false, count, broken: broken(e.seq, "copy-differs", idOf(e)) };
      if (anchor?.seq === e.seq && anchor.hash !== e.hash) {
        return { ok: false, count, broken: broken(e.seq, "rewritten", idOf(e)) };
      }
      prevHash = e.hash;
      expected = e.seq + 1;
      count++;
    }
    if (unreadable !== undefined) return { ok: false, count, broken: broken(unreadable, "unreadable") };
    if (page.length < pageSize) break;
  }
  if (anchor && anchor.seq > expected - 1) return { ok: false, count, broken: broken(expected, "truncated") };
  return { ok: true, count, head: { seq: expected - 1, hash: prevHash }, ...(from ? { after: from.seq } : {}) };
}

/** One sentence naming the result, for the CLI and OperationOutcome diagnostics (ids only, no personal value). */
export function describeVerify(result: VerifyResult): string {
  if (result.ok) {
    const after = result.after !== undefined ? ` after entry ${result.after}` : "";
    return `audit log intact: ${result.count} entries${after}, head ${result.head.seq} ${result.head.hash}`;
  }
  const b = result.broken;
  const what = {
    altered: "was altered (its content no longer matches its hash)",
    unlinked: "does not link to the entry before it",
    missing: "is missing (deleted)",
    unreadable: "cannot be read",
    "copy-differs": "has a searchable AuditEvent copy that is absent or differs from the log",
    rewritten: "differs from the head recorded for it (the chain was rebuilt)",
    truncated: "is missing, with every later entry up to the recorded head (the log was cut short)",
  }[b.kind];
  return `audit log broken at entry ${b.seq}${b.id ? ` (AuditEvent/${b.id})` : ""}: it ${what}; ${result.count} entries before it are intact`;
}
