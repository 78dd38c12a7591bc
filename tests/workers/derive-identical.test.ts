// The same input gives identical links, households and flags on D1 inside workerd as on SQLite and PostgreSQL:
// the population of tests/support/derived-digest.ts, ingested with derivation on, equals the golden digest the
// node project checks both of those against (tests/node/derive-identical.test.ts).
import { applyD1Migrations, env } from "cloudflare:test";
import { expect, it } from "vitest";
import { d1Store } from "../../src/store/d1/index.js";
import golden from "../golden/derived/identical-derivation.json";
import { ingestAndDigest } from "../support/derived-digest.js";

it("D1: links, households, flags and review tasks equal the golden digest", { timeout: 300_000 }, async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  const digest = await ingestAndDigest(d1Store(env.DB));
  expect(digest).toEqual(golden);
});
