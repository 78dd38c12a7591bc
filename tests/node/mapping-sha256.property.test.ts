// The short-key SHA-256 behind deterministic ids (src/mapping/sha256.ts) gives the same digest as
// @noble/hashes for any string: empty, ASCII, non-ASCII, lone surrogates, and lengths around the
// 55/56/64-byte block edges; and the ids themselves are what they were when noble computed them.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deterministicId } from "../../src/mapping/ids.js";
import { sha256HexPrefix } from "../../src/mapping/sha256.js";

const noble = (s: string) => bytesToHex(sha256(new TextEncoder().encode(s)));

describe("sha256HexPrefix", () => {
  it("matches FIPS 180-4 test vectors", () => {
    expect(sha256HexPrefix("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256HexPrefix("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256HexPrefix("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("agrees with @noble/hashes on random strings and at the block edges", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 150 })), (s) => {
        expect(sha256HexPrefix(s)).toBe(noble(s));
        expect(sha256HexPrefix(s, 4)).toBe(noble(s).slice(0, 32));
      }),
      { numRuns: 3000 },
    );
    for (let n = 0; n < 200; n++) expect(sha256HexPrefix("x".repeat(n))).toBe(noble("x".repeat(n)));
    expect(sha256HexPrefix("é".repeat(1000))).toBe(noble("é".repeat(1000)));
  });

  it("keeps deterministic ids as they were", () => {
    const old = (source: string, type: string, key: (string | number)[]) =>
      noble([source, type, ...key.map(String)].join("\u001f")).slice(0, 32);
    fc.assert(
      fc.property(
        fc.constantFrom("cpa", "ndtms", "cin"),
        fc.constantFrom("Patient", "EpisodeOfCare"),
        fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.integer()), { maxLength: 4 }),
        (source, type, key) => {
          expect(deterministicId(source, type, key)).toBe(old(source, type, key));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
