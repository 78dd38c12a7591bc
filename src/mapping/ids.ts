/** Deterministic resource ids from source keys, so re-sending a record addresses the same resources. */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/**
 * The id for a resource: SHA-256 of the source, resource type and key parts, 32 hex characters.
 * Keys are local identifiers; hashing keeps them out of URLs and logs. Synchronous (pure JS), so
 * mapping a record does not wait on the crypto thread pool.
 */
export function deterministicId(source: string, resourceType: string, key: (string | number)[]): string {
  return bytesToHex(sha256(utf8ToBytes([source, resourceType, ...key.map(String)].join("\u001f")))).slice(0, 32);
}
