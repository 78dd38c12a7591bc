// Bindings the workers test project sees (wrangler.toml plus the migrations the config injects).
declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}
