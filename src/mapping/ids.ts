/** Deterministic resource ids from source keys, so re-sending a record addresses the same resources. */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

const encoder = new TextEncoder();

/**
 * The id for a resource: SHA-256 (@noble/hashes) of the source, resource type and key parts (joined by
 * U+001F, as UTF-8), its first 16 bytes as 32 hex characters. Keys are local identifiers; hashing keeps
 * them out of URLs and logs. Synchronous (pure JS), so mapping a record does not wait on the crypto
 * thread pool. (A memo of recent keys was tried: looking a fresh key string up cost more than hashing it.)
 */
export function deterministicId(source: string, resourceType: string, key: (string | number)[]): string {
  let text = `${source}\u001f${resourceType}`;
  for (const part of key) text += `\u001f${part}`;
  return bytesToHex(sha256(encoder.encode(text)).subarray(0, 16));
}
