/** A small raw DEFLATE (RFC 1951) encoder with a preset dictionary whose match index is built once. */

const WINDOW = 32768;
/** Shortest match looked for: four bytes, hashed whole (3-byte matches save little under fixed Huffman codes). */
const MIN_MATCH = 4;
const MAX_MATCH = 258;
const HASH_BITS = 15;
const HASH_SIZE = 1 << HASH_BITS;
/**
 * Candidates tried per position, and a match length good enough to stop looking. 16/64 rather than 48/128: on
 * NDTMS resources 3 % larger bodies for about a quarter less encoding time (docs/BENCHMARKS.md, session 3).
 */
const MAX_CHAIN = 16;
const NICE_MATCH = 64;

export const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
export const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
export const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
export const DIST_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];

export function reverseBits(code: number, length: number): number {
  let r = 0;
  for (let i = 0; i < length; i++) r |= ((code >> i) & 1) << (length - 1 - i);
  return r;
}

// Fixed Huffman codes (RFC 1951 §3.2.6), bit-reversed because the stream is written least significant bit first.
const LIT_CODE = new Uint16Array(288);
const LIT_BITS = new Uint8Array(288);
for (let s = 0; s < 288; s++) {
  const [code, bits] =
    s < 144 ? [0x30 + s, 8] : s < 256 ? [0x190 + s - 144, 9] : s < 280 ? [s - 256, 7] : [0xc0 + s - 280, 8];
  LIT_CODE[s] = reverseBits(code, bits);
  LIT_BITS[s] = bits;
}
const DIST_CODE = new Uint8Array(30).map((_, i) => reverseBits(i, 5));
/** Length (3..258) → index into LENGTH_BASE; distance (1..32768) → distance code. */
const LENGTH_INDEX = new Uint8Array(MAX_MATCH + 1);
for (let i = 0; i < LENGTH_BASE.length; i++) {
  const end = i + 1 < LENGTH_BASE.length ? (LENGTH_BASE[i + 1] as number) : MAX_MATCH + 1;
  for (let l = LENGTH_BASE[i] as number; l < end; l++) LENGTH_INDEX[l] = i;
}
LENGTH_INDEX[MAX_MATCH] = 28;
const DIST_INDEX = new Uint8Array(WINDOW + 1);
for (let i = 0; i < DIST_BASE.length; i++) {
  const end = i + 1 < DIST_BASE.length ? (DIST_BASE[i + 1] as number) : WINDOW + 1;
  for (let d = DIST_BASE[i] as number; d < end; d++) DIST_INDEX[d] = i;
}

const hashAt = (b: Uint8Array, p: number) =>
  Math.imul(
    ((b[p] as number) << 24) | ((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number),
    0x9e3779b1,
  ) >>>
  (32 - HASH_BITS);

/**
 * Compresses to a single fixed-Huffman raw DEFLATE block, matching against a preset dictionary
 * (the zlib `dictionary` option: any inflater given the same bytes decodes it). The dictionary's
 * hash chains are computed once, so a small record costs only its own bytes; general-purpose
 * encoders re-index the dictionary on every call. Not reentrant (one scratch buffer per instance),
 * which suits single-threaded JavaScript.
 */
export class DictionaryDeflater {
  private readonly dictLength: number;
  private readonly dictHead = new Int32Array(HASH_SIZE).fill(-1);
  private readonly dictPrev: Int32Array;
  // Per-call chains for the input's own positions; `stamp` marks which head entries belong to this call.
  private readonly head = new Int32Array(HASH_SIZE);
  private readonly stamp = new Uint32Array(HASH_SIZE);
  private call = 0;
  private prev = new Int32Array(0);
  private buf: Uint8Array;
  private out = new Uint8Array(0);
  private syms = new Uint32Array(0);

  constructor(
    private readonly dictionary: Uint8Array,
    private readonly maxChain = MAX_CHAIN,
    private readonly niceMatch = NICE_MATCH,
  ) {
    if (dictionary.length > WINDOW) throw new Error("A DEFLATE dictionary holds at most 32 KiB");
    this.dictLength = dictionary.length;
    this.dictPrev = new Int32Array(dictionary.length);
    for (let i = 0; i + MIN_MATCH <= dictionary.length; i++) {
      const h = hashAt(dictionary, i);
      this.dictPrev[i] = this.dictHead[h] as number;
      this.dictHead[h] = i;
    }
    this.buf = new Uint8Array(dictionary.length);
    this.buf.set(dictionary);
  }

  /** A scratch array for at most two symbols per input byte. */
  private symbols(n: number): Uint32Array {
    if (this.syms.length < 2 * n) this.syms = new Uint32Array(Math.max(2 * n, this.syms.length * 2));
    return this.syms;
  }

  /** Raw DEFLATE of `input` against the dictionary. */
  deflate(input: Uint8Array): Uint8Array {
    const D = this.dictLength;
    const n = input.length;
    if (this.buf.length < D + n) {
      const grown = new Uint8Array(D + Math.max(n, this.buf.length * 2 - D));
      grown.set(this.dictionary);
      this.buf = grown;
    }
    if (this.prev.length < n) this.prev = new Int32Array(Math.max(n, this.prev.length * 2));
    const worst = Math.ceil((n * 9) / 8) + 16;
    if (this.out.length < worst) this.out = new Uint8Array(Math.max(worst, this.out.length * 2));
    const { buf, prev, head, stamp, dictHead, dictPrev, out, niceMatch } = this;
    buf.set(input, D);
    this.call = (this.call + 1) >>> 0 || 1;
    const call = this.call;
    const end = D + n;

    // Pass 1 (LZ77): literals and matches into `syms`: a literal is its byte; a match is 256 + its
    // length, followed by its distance.
    const syms = this.symbols(n);
    let s = 0;
    let p = D;
    while (p < end) {
      let bestLength = 0;
      let bestDistance = 0;
      const limit = Math.min(MAX_MATCH, end - p);
      if (limit >= MIN_MATCH) {
        const h = hashAt(buf, p);
        let candidate = stamp[h] === call ? (head[h] as number) : -1;
        let inDict = candidate < 0;
        if (inDict) candidate = dictHead[h] as number;
        for (let chain = this.maxChain; candidate >= 0 && chain > 0; chain--) {
          const distance = p - candidate;
          if (distance > WINDOW) break;
          if (buf[candidate + bestLength] === buf[p + bestLength]) {
            let l = 0;
            while (l < limit && buf[candidate + l] === buf[p + l]) l++;
            if (l > bestLength) {
              bestLength = l;
              bestDistance = distance;
              if (l >= niceMatch || l === limit) break;
            }
          }
          if (!inDict) {
            candidate = prev[candidate - D] as number;
            if (candidate < 0) {
              inDict = true;
              candidate = dictHead[h] as number;
            }
          } else candidate = dictPrev[candidate] as number;
        }
      }
      if (bestLength >= MIN_MATCH) {
        syms[s++] = 256 + bestLength;
        syms[s++] = bestDistance;
        // Index the positions a match covers (only the first few of a long one: the dictionary
        // already holds most long repeats, and indexing every byte would cost more than it finds).
        const indexed = bestLength <= 16 ? bestLength : 4;
        for (let k = 0; k < indexed; k++) {
          const q = p + k;
          if (q + MIN_MATCH > end) break;
          const hq = hashAt(buf, q);
          prev[q - D] = stamp[hq] === call ? (head[hq] as number) : -1;
          head[hq] = q;
          stamp[hq] = call;
        }
        p += bestLength;
      } else {
        syms[s++] = buf[p] as number;
        if (p + MIN_MATCH <= end) {
          const hp = hashAt(buf, p);
          prev[p - D] = stamp[hp] === call ? (head[hp] as number) : -1;
          head[hp] = p;
          stamp[hp] = call;
        }
        p++;
      }
    }

    // Pass 2: the symbols as fixed Huffman codes, least significant bit first.
    let o = 0;
    let bitBuf = 3; // BFINAL = 1, BTYPE = 01 (fixed Huffman codes)
    let bitCount = 3;
    for (let i = 0; i < s; i++) {
      const sym = syms[i] as number;
      if (sym < 256) {
        bitBuf |= (LIT_CODE[sym] as number) << bitCount;
        bitCount += LIT_BITS[sym] as number;
      } else {
        const length = sym - 256;
        const distance = syms[++i] as number;
        const li = LENGTH_INDEX[length] as number;
        const code = 257 + li;
        bitBuf |= (LIT_CODE[code] as number) << bitCount;
        bitCount += LIT_BITS[code] as number;
        const le = LENGTH_EXTRA[li] as number;
        if (le > 0) {
          bitBuf |= (length - (LENGTH_BASE[li] as number)) << bitCount;
          bitCount += le;
        }
        while (bitCount >= 8) {
          out[o++] = bitBuf & 0xff;
          bitBuf >>>= 8;
          bitCount -= 8;
        }
        const di = DIST_INDEX[distance] as number;
        bitBuf |= (DIST_CODE[di] as number) << bitCount;
        bitCount += 5;
        const de = DIST_EXTRA[di] as number;
        if (de > 0) {
          bitBuf |= (distance - (DIST_BASE[di] as number)) << bitCount;
          bitCount += de;
        }
      }
      while (bitCount >= 8) {
        out[o++] = bitBuf & 0xff;
        bitBuf >>>= 8;
        bitCount -= 8;
      }
    }
    bitBuf |= (LIT_CODE[256] as number) << bitCount; // end of block
    bitCount += LIT_BITS[256] as number;
    while (bitCount > 0) {
      out[o++] = bitBuf & 0xff;
      bitBuf >>>= 8;
      bitCount -= 8;
    }
    return out.slice(0, o);
  }
}
