// The bulk-session contract (Store.bulk, used by all-or-nothing ingest) on the Node drivers: a SQLite file, and
// PostgreSQL (a real server when TFG_TEST_POSTGRES_URL is set, embedded PGlite otherwise).
import { afterAll } from "vitest";
import { describeBulkContract } from "../contract/bulk-contract.js";
import { BULK_DRIVERS, dropSchemas } from "../support/bulk-stores.js";

afterAll(dropSchemas);
for (const driver of BULK_DRIVERS) {
  describeBulkContract(driver.name, async () => (await driver.open()).store, driver.concurrent);
}
