/** How values are stored (migrations/0006): reference target ids as bytes; instants (date bounds, lastUpdated) as epoch milliseconds. */

const HEX32 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const utf8 = new TextEncoder();

function hexBytes(hex: string, out: Uint8Array): Uint8Array {
  for (let i = 0; i < 16; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * The stored form of a reference target's id. The gateway's own ids are 32 lowercase hex digits: those are
 * stored as their 16 bytes; a lowercase UUID as its 16 bytes and a 0x01 byte; any other id as its UTF-8
 * bytes, with a 0x00 byte appended when those are 16 long. Ids hold neither byte, so no two ids share a form.
 */
export function targetIdBytes(id: string): Uint8Array {
  if (id.length === 32 && HEX32.test(id)) return hexBytes(id, new Uint8Array(16));
  if (id.length === 36 && UUID.test(id)) {
    const out = hexBytes(id.replaceAll("-", ""), new Uint8Array(17));
    out[16] = 1;
    return out;
  }
  const bytes = utf8.encode(id);
  if (bytes.length !== 16) return bytes;
  const out = new Uint8Array(17);
  out.set(bytes);
  return out;
}

/** A reference target `Type/id` split into its type (part of the row's code) and the stored id; undefined if not of that form. */
export function splitTarget(target: string): { type: string; id: Uint8Array } | undefined {
  const slash = target.indexOf("/");
  if (slash <= 0 || slash === target.length - 1) return undefined;
  return { type: target.slice(0, slash), id: targetIdBytes(target.slice(slash + 1)) };
}

/** A stored instant (epoch milliseconds; PostgreSQL returns BIGINT as text) as ISO 8601 UTC with milliseconds. */
export function isoInstant(ms: number | string): string {
  return new Date(Number(ms)).toISOString();
}

/** An ISO 8601 instant (as search-dates.ts and the service write them, years 0–9999) as milliseconds since the epoch. */
export function instantMs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError("Not an ISO 8601 instant");
  return ms;
}
