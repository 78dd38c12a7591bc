/** The Ingest page (work in progress). */
import type { Hono } from "hono";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { Layout } from "./layout.js";

/** GET /console/ingest. */
export function ingestRoutes(app: Hono<ConsoleEnv>, _deps: ConsoleDeps): void {
  app.get("/ingest", (c) =>
    c.html(
      <Layout title="Ingest" session={c.get("session")} section="ingest">
        <h1 class="nhsuk-heading-l">Ingest</h1>
        <p>This page is not built yet.</p>
      </Layout>,
    ),
  );
}
