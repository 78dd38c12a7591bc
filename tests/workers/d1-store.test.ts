// Runs the storage contract on D1 inside workerd (vitest-pool-workers).
import { applyD1Migrations, env } from "cloudflare:test";
import { d1Store } from "../../src/store/d1/index.js";
import { describeStoreContract } from "../contract/store-contract.js";

describeStoreContract("d1 (workerd)", async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  return d1Store(env.DB);
});
