/** Deterministic resource ids from source keys, so re-sending a record addresses the same resources. */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

const encoder = new TextEncoder();
/** Recent ids by key text: one record names its patient, episode and team many times over. */
const recent = new Map<string, string>();

/**
 * The id for a resource: SHA-256 of the source, resource type and key parts, 32 hex characters.
 * Keys are local identifiers; hashing keeps them out of URLs and logs. Synchronous (pure JS), so
 * mapping a record does not wait on the crypto thread pool; each distinct key is hashed once while
 * it is recent.
 */
export function deterministicId(source: string, resourceType: string, key: (string | number)[]): string {
  let text = `${source}\u001f${resourceType}`;
  for (const part of key) text += `\u001f${part}`;
  let id = recent.get(text);
  if (id === undefined) {
    if (recent.size >= 4096) recent.clear();
    id = bytesToHex(sha256(encoder.encode(text)).subarray(0, 16));
    recent.set(text, id);
  }
  return id;
}
