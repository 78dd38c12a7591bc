/** The load bench's baseline server: a hello-world Hono route on @hono/node-server, in its own process like the gateway. */
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono().get("/hello", (c) => c.json({ hello: "world" }));
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.TFG_PORT ?? 0) }, (info) => {
  console.log(JSON.stringify({ msg: "gateway listening", url: `http://127.0.0.1:${info.port}` }));
});
// Exit normally on SIGTERM, as the gateway does, so a `--cpu-prof` run writes its profile.
process.on("SIGTERM", () => process.exit(0));
