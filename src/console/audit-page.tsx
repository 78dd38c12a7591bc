/** The Who looked at this record page (work in progress). */
import type { Hono } from "hono";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { Layout } from "./layout.js";

/** GET /console/audit. */
export function auditRoutes(app: Hono<ConsoleEnv>, _deps: ConsoleDeps): void {
  app.get("/audit", (c) =>
    c.html(
      <Layout title="Who looked at this record" session={c.get("session")} section="audit">
        <h1 class="nhsuk-heading-l">Who looked at this record</h1>
        <p>This page is not built yet.</p>
      </Layout>,
    ),
  );
}
