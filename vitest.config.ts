// Two test projects: "node" (SQLite, PostgreSQL, HTTP, CLI) and "workers" (inside workerd with a D1 binding).
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Verbose, so the output names every test, including which storage driver each contract test ran on.
    reporters: ["verbose"],
    projects: [
      {
        test: {
          name: "node",
          include: ["src/**/*.test.ts", "tests/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { TEST_MIGRATIONS: await readD1Migrations("./migrations") } },
          })),
        ],
        test: { name: "workers", include: ["tests/workers/**/*.test.ts"], testTimeout: 30_000 },
      },
    ],
  },
});
