/** SHA-256 hash chain for the append-only log: each entry commits to the one before it. */

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

/** Hex SHA-256 of a UTF-8 string, using Web Crypto (Node and Workers alike). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The hash of one log entry, binding its stream, position, time, payload and predecessor. */
export function entryHash(entry: {
  stream: string;
  seq: number;
  recorded: string;
  payload: unknown;
  prevHash: string;
}): Promise<string> {
  return sha256Hex(
    [entry.stream, String(entry.seq), entry.recorded, entry.prevHash, canonicalJson(entry.payload)].join("\n"),
  );
}

/**
 * Checks a run of consecutive entries: each hash is right and each links to the previous one.
 * Returns the sequence number of the first broken entry, or undefined when intact.
 */
export async function findBrokenLink(
  entries: { stream: string; seq: number; recorded: string; payload: unknown; prevHash: string; hash: string }[],
  expectedPrevHash = GENESIS_HASH,
): Promise<number | undefined> {
  let prev = expectedPrevHash;
  for (const e of entries) {
    if (e.prevHash !== prev || (await entryHash(e)) !== e.hash) return e.seq;
    prev = e.hash;
  }
  return undefined;
}
