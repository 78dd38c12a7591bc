/** The Review queues page (work in progress). */
import type { Hono } from "hono";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { Layout } from "./layout.js";

/** GET /console/reviews. */
export function reviewRoutes(app: Hono<ConsoleEnv>, _deps: ConsoleDeps): void {
  app.get("/reviews", (c) =>
    c.html(
      <Layout title="Review queues" session={c.get("session")} section="reviews">
        <h1 class="nhsuk-heading-l">Review queues</h1>
        <p>This page is not built yet.</p>
      </Layout>,
    ),
  );
}
