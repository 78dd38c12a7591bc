/**
 * SHA-256 (FIPS 180-4) of a short string, for deterministic ids: the same digest as any SHA-256
 * (tests/node/mapping-sha256.property.test.ts checks it against @noble/hashes), computed in reused
 * buffers, because a general-purpose hash object per call cost more than hashing a key of a few dozen
 * bytes. Synchronous and Web-standard (TextEncoder), so it runs on Node and Workers alike.
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const INITIAL = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const encoder = new TextEncoder();
const W = new Uint32Array(64);
const H = new Uint32Array(8);
let buffer = new Uint8Array(256);

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

function block(b: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++) {
    const j = at + i * 4;
    W[i] = ((b[j] as number) << 24) | ((b[j + 1] as number) << 16) | ((b[j + 2] as number) << 8) | (b[j + 3] as number);
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15] as number;
    const w2 = W[i - 2] as number;
    const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
    W[i] = ((W[i - 16] as number) + s0 + (W[i - 7] as number) + s1) | 0;
  }
  let a = H[0] as number;
  let b2 = H[1] as number;
  let c = H[2] as number;
  let d = H[3] as number;
  let e = H[4] as number;
  let f = H[5] as number;
  let g = H[6] as number;
  let h = H[7] as number;
  for (let i = 0; i < 64; i++) {
    const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + (K[i] as number) + (W[i] as number)) | 0;
    const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    const maj = (a & b2) ^ (a & c) ^ (b2 & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b2;
    b2 = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0] as number) + a;
  H[1] = (H[1] as number) + b2;
  H[2] = (H[2] as number) + c;
  H[3] = (H[3] as number) + d;
  H[4] = (H[4] as number) + e;
  H[5] = (H[5] as number) + f;
  H[6] = (H[6] as number) + g;
  H[7] = (H[7] as number) + h;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const hex8 = (x: number) =>
  (HEX[(x >>> 24) & 255] as string) +
  (HEX[(x >>> 16) & 255] as string) +
  (HEX[(x >>> 8) & 255] as string) +
  (HEX[x & 255] as string);

/** The first `words` 32-bit words (1–8) of the SHA-256 of `text`'s UTF-8 bytes, as lowercase hex. */
export function sha256HexPrefix(text: string, words = 8): string {
  // UTF-8 takes at most 3 bytes per UTF-16 unit; then room for the padding and the length.
  const room = text.length * 3 + 72;
  if (buffer.length < room) buffer = new Uint8Array(room * 2);
  const len = encoder.encodeInto(text, buffer).written;
  const total = (len + 9 + 63) & ~63;
  buffer[len] = 0x80;
  buffer.fill(0, len + 1, total - 8);
  const hi = Math.floor(len / 0x20000000); // bits = len * 8, split into two 32-bit halves
  const lo = (len << 3) >>> 0;
  buffer[total - 8] = hi >>> 24;
  buffer[total - 7] = hi >>> 16;
  buffer[total - 6] = hi >>> 8;
  buffer[total - 5] = hi;
  buffer[total - 4] = lo >>> 24;
  buffer[total - 3] = lo >>> 16;
  buffer[total - 2] = lo >>> 8;
  buffer[total - 1] = lo;
  H.set(INITIAL);
  for (let at = 0; at < total; at += 64) block(buffer, at);
  let out = "";
  for (let i = 0; i < words; i++) out += hex8(H[i] as number);
  return out;
}
