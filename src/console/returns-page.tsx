/** The Returns page (work in progress). */
import type { Hono } from "hono";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { Layout } from "./layout.js";

/** GET /console/returns. */
export function returnsRoutes(app: Hono<ConsoleEnv>, _deps: ConsoleDeps): void {
  app.get("/returns", (c) =>
    c.html(
      <Layout title="Returns" session={c.get("session")} section="returns">
        <h1 class="nhsuk-heading-l">Returns</h1>
        <p>This page is not built yet.</p>
      </Layout>,
    ),
  );
}
