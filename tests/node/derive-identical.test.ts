// The same input gives identical links, households and flags on every store: a synthetic population of all four
// sources ingested (derivation on) into SQLite and PostgreSQL, each compared with one golden digest; the workers
// project compares D1 with the same file (tests/workers/derive-identical.test.ts).
import { describe, expect, it, vi } from "vitest";
import { ingestAndDigest } from "../support/derived-digest.js";
import { expectGolden } from "../support/golden.js";
import { STORES } from "./derive-stores.js";

vi.setConfig({ testTimeout: 300_000 });

const GOLDEN = new URL("../golden/derived/identical-derivation.json", import.meta.url).pathname;

describe("identical derivation on every store", () => {
  for (const [name, open] of STORES) {
    it(`${name}: links, households, flags and review tasks equal the golden digest`, async () => {
      const store = await open();
      try {
        const digest = await ingestAndDigest(store);
        expect(digest.rejected).toBe(0);
        for (const k of ["persons", "households", "flags"])
          expect((digest[k] as unknown[]).length, k).toBeGreaterThan(0);
        expectGolden(GOLDEN, digest);
      } finally {
        await store.close();
      }
    });
  }
});
