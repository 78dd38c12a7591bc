// The hash chain (src/store/hash-chain.ts): standard SHA-256, computed synchronously; an entry's hash binds each of
// its fields; canonical JSON sorts keys at every depth, so equal content hashes equally.
import { describe, expect, it } from "vitest";
import { canonicalJson, entryHash, findBrokenLink, GENESIS_HASH, sha256Hex } from "../../src/store/hash-chain.js";

describe("the hash chain's hash", () => {
  it("is standard SHA-256 (the FIPS 180-4 'abc' test vector)", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("writes keys sorted at every depth", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });

  it("binds every field of an entry, and finds the first entry whose hash or link is wrong", () => {
    const entry = {
      stream: "audit",
      seq: 1,
      recorded: "2026-01-01T00:00:00Z",
      payload: { a: 1 },
      prevHash: GENESIS_HASH,
    };
    const h = entryHash(entry);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    for (const changed of [
      { ...entry, stream: "other" },
      { ...entry, seq: 2 },
      { ...entry, recorded: "2026-01-01T00:00:01Z" },
      { ...entry, payload: { a: 2 } },
      { ...entry, prevHash: "1".repeat(64) },
    ])
      expect(entryHash(changed)).not.toBe(h);
    const second = { stream: "audit", seq: 2, recorded: entry.recorded, payload: { b: 1 }, prevHash: h };
    const chain = [
      { ...entry, hash: h },
      { ...second, hash: entryHash(second) },
    ];
    expect(findBrokenLink(chain)).toBeUndefined();
    expect(findBrokenLink([chain[0], { ...chain[1], payload: { b: 2 } }] as typeof chain)).toBe(2);
  });
});
