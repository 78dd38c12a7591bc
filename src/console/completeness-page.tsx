/** The Completeness page (work in progress). */
import type { Hono } from "hono";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { Layout } from "./layout.js";

/** GET /console/completeness. */
export function completenessRoutes(app: Hono<ConsoleEnv>, _deps: ConsoleDeps): void {
  app.get("/completeness", (c) =>
    c.html(
      <Layout title="Completeness" session={c.get("session")} section="completeness">
        <h1 class="nhsuk-heading-l">Completeness</h1>
        <p>This page is not built yet.</p>
      </Layout>,
    ),
  );
}
