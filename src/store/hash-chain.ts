/** SHA-256 hash chain for the append-only log: each entry commits to the one before it. */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/** The hash that precedes the first entry of every stream. */
export const GENESIS_HASH = "0".repeat(64);

/** Serialises JSON with object keys sorted, so equal content always hashes equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v as Record<string, unknown>).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/** Hex SHA-256 of a UTF-8 string (@noble/hashes: synchronous, the same on Node and Workers). */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(text)));
}

/** The hash of one log entry, binding its stream, position, time, payload and predecessor. */
export function entryHash(entry: {
  stream: string;
  seq: number;
  recorded: string;
  payload: unknown;
  prevHash: string;
}): string {
  return sha256Hex(
    [entry.stream, String(entry.seq), entry.recorded, entry.prevHash, canonicalJson(entry.payload)].join("\n"),
  );
}

/**
 * Checks a run of consecutive entries: each hash is right and each links to the previous one.
 * Returns the sequence number of the first broken entry, or undefined when intact.
 */
export function findBrokenLink(
  entries: { stream: string; seq: number; recorded: string; payload: unknown; prevHash: string; hash: string }[],
  expectedPrevHash = GENESIS_HASH,
): number | undefined {
  let prev = expectedPrevHash;
  for (const e of entries) {
    if (e.prevHash !== prev || entryHash(e) !== e.hash) return e.seq;
    prev = e.hash;
  }
  return undefined;
}
