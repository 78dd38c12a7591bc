/**
 * How a resource version's JSON is stored: UTF-8 bytes, DEFLATE-compressed against a preset
 * dictionary of common FHIR JSON text when that makes them smaller.
 *
 * A stored body is either the JSON's UTF-8 bytes as they are (first byte `{`), or a format tag,
 * then the JSON's byte length as an unsigned LEB128 varint, then a raw DEFLATE stream (RFC 1951)
 * made with that tag's dictionary: 1, common FHIR JSON (`json-dictionary.generated.ts`), for every
 * type but AuditEvent; 2, the gateway's AuditEvent text (`audit-dictionary.generated.ts`), for the
 * AuditEvent every read leaves. Any inflater given the dictionary reads it (zlib's `inflateRaw` with
 * `dictionary`, fflate); this store reads its own single fixed-Huffman blocks with `inflate-fixed.ts`
 * and anything else with fflate.
 */
import { inflateSync } from "fflate/browser";
import { JSON_DICTIONARY_2 } from "./audit-dictionary.generated.js";
import { DictionaryDeflater } from "./deflate.js";
import { inflateFixed } from "./inflate-fixed.js";
import { JSON_DICTIONARY_1 } from "./json-dictionary.generated.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Format tag → its preset dictionary (frozen: stored rows depend on these bytes). */
const DICTIONARIES = new Map<number, Uint8Array>([
  [1, encoder.encode(JSON_DICTIONARY_1)],
  [2, encoder.encode(JSON_DICTIONARY_2)],
]);
const deflaters = new Map<number, DictionaryDeflater>();
/** How the JSON of an AuditEvent stored by this gateway starts (prepareWrite puts resourceType first). */
const AUDIT_EVENT_PREFIX = '{"resourceType":"AuditEvent"';

/** Encodes a resource's JSON text for storage. */
export function encodeBody(json: string): Uint8Array {
  const raw = encoder.encode(json);
  const tag = json.startsWith(AUDIT_EVENT_PREFIX) ? 2 : 1;
  let deflater = deflaters.get(tag);
  if (!deflater) {
    deflater = new DictionaryDeflater(DICTIONARIES.get(tag) as Uint8Array);
    deflaters.set(tag, deflater);
  }
  const packed = deflater.deflate(raw);
  let header = 2; // the tag and at least one varint byte
  for (let n = raw.length; n >= 0x80; n >>>= 7) header++;
  if (packed.length + header >= raw.length) return raw;
  const out = new Uint8Array(header + packed.length);
  out[0] = tag;
  let i = 1;
  let n = raw.length;
  for (; n >= 0x80; n >>>= 7) out[i++] = (n & 0x7f) | 0x80;
  out[i++] = n;
  out.set(packed, i);
  return out;
}

/** Decodes a stored body to the resource's JSON as UTF-8 bytes. Throws on a body it does not recognise. */
export function decodeBodyBytes(body: Uint8Array): Uint8Array {
  const tag = body[0];
  if (tag === 0x7b) return body;
  const dictionary = tag === undefined ? undefined : DICTIONARIES.get(tag);
  if (!dictionary) throw new Error(`Unknown stored body format ${String(tag)}`);
  let length = 0;
  let shift = 0;
  let i = 1;
  for (;;) {
    const b = body[i++];
    if (b === undefined) throw new Error("Truncated stored body");
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
    shift += 7;
  }
  const stream = body.subarray(i);
  const out =
    inflateFixed(stream, dictionary, length) ?? inflateSync(stream, { dictionary, out: new Uint8Array(length) });
  if (out.length !== length) throw new Error("Corrupt stored body");
  return out;
}

/** Decodes a stored body to the resource's JSON text. */
export function decodeBody(body: Uint8Array): string {
  return decoder.decode(decodeBodyBytes(body));
}

/** A driver's value for a binary column (Buffer, Uint8Array, ArrayBuffer or D1's array of bytes) as bytes. */
export function asBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  throw new Error("A stored body is not binary");
}
