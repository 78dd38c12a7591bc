/** Deterministic resource ids from source keys, so re-sending a record addresses the same resources. */
import { sha256HexPrefix } from "./sha256.js";

/**
 * The id for a resource: SHA-256 of the source, resource type and key parts (joined by U+001F, as
 * UTF-8), its first 16 bytes as 32 hex characters. Keys are local identifiers; hashing keeps them out
 * of URLs and logs. Synchronous (pure JS), so mapping a record does not wait on the crypto thread pool.
 */
export function deterministicId(source: string, resourceType: string, key: (string | number)[]): string {
  let text = `${source}\u001f${resourceType}`;
  for (const part of key) text += `\u001f${part}`;
  return sha256HexPrefix(text, 4);
}
