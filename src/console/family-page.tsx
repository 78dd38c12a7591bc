/** The Family view page (work in progress). */
import type { Hono } from "hono";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { Layout } from "./layout.js";

/** GET /console/family. */
export function familyRoutes(app: Hono<ConsoleEnv>, _deps: ConsoleDeps): void {
  app.get("/family", (c) =>
    c.html(
      <Layout title="Family view" session={c.get("session")} section="family">
        <h1 class="nhsuk-heading-l">Family view</h1>
        <p>This page is not built yet.</p>
      </Layout>,
    ),
  );
}
