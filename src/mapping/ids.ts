/** Deterministic resource ids from source keys, so re-sending a record addresses the same resources. */
import { sha256Hex } from "../store/hash-chain.js";

/**
 * The id for a resource: a SHA-256 of the source, resource type and key parts, 32 hex characters.
 * Keys are local identifiers; hashing keeps them out of URLs and logs.
 */
export async function deterministicId(source: string, resourceType: string, key: (string | number)[]): Promise<string> {
  return (await sha256Hex([source, resourceType, ...key.map(String)].join("\u001f"))).slice(0, 32);
}
