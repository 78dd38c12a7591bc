/** A fast path for the streams this store writes: one final fixed-Huffman DEFLATE block (RFC 1951 §3.2.6) over a preset dictionary. */
import { DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA, reverseBits } from "./deflate.js";

// Lookup by the next 9 stream bits: symbol << 4 | code length (fixed literal/length codes are 7–9 bits).
const LIT = new Uint16Array(512);
for (let s = 0; s < 288; s++) {
  const [code, bits] =
    s < 144 ? [0x30 + s, 8] : s < 256 ? [0x190 + s - 144, 9] : s < 280 ? [s - 256, 7] : [0xc0 + s - 280, 8];
  const r = reverseBits(code, bits);
  for (let high = 0; high < 1 << (9 - bits); high++) LIT[r | (high << bits)] = (s << 4) | bits;
}
const DIST = new Uint8Array(32).map((_, r) => reverseBits(r, 5));

/**
 * Decodes `data` into exactly `length` bytes when it is a single final fixed-Huffman block, else
 * returns undefined (the caller then uses a general inflater). Throws on a corrupt stream.
 */
export function inflateFixed(data: Uint8Array, dictionary: Uint8Array, length: number): Uint8Array | undefined {
  const bits = (p: number, n: number) =>
    (((data[p >> 3] ?? 0) | ((data[(p >> 3) + 1] ?? 0) << 8) | ((data[(p >> 3) + 2] ?? 0) << 16)) >>> (p & 7)) &
    ((1 << n) - 1);
  if (bits(0, 3) !== 3) return undefined; // BFINAL 1, BTYPE 01
  const out = new Uint8Array(length);
  const D = dictionary.length;
  const end = data.length * 8;
  let p = 3;
  let o = 0;
  for (;;) {
    if (p > end) throw new Error("Corrupt stored body");
    const e = LIT[bits(p, 9)] as number;
    const sym = e >> 4;
    p += e & 15;
    if (sym < 256) {
      if (o >= length) throw new Error("Corrupt stored body");
      out[o++] = sym;
    } else if (sym === 256) break;
    else {
      const li = sym - 257;
      if (li > 28) throw new Error("Corrupt stored body");
      const le = LENGTH_EXTRA[li] as number;
      const len = (LENGTH_BASE[li] as number) + bits(p, le);
      p += le;
      const dc = DIST[bits(p, 5)] as number;
      p += 5;
      if (dc > 29) throw new Error("Corrupt stored body");
      const de = DIST_EXTRA[dc] as number;
      const dist = (DIST_BASE[dc] as number) + bits(p, de);
      p += de;
      if (o + len > length || dist > o + D) throw new Error("Corrupt stored body");
      for (let k = 0; k < len; k++, o++)
        out[o] = o - dist >= 0 ? (out[o - dist] as number) : (dictionary[D + o - dist] as number);
    }
  }
  if (o !== length) throw new Error("Corrupt stored body");
  return out;
}
