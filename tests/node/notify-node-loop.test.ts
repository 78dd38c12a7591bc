// The Node host's delivery loop (src/runtime/node.ts): off unless asked; when asked, a queued notification reaches the
// LA's endpoint (msw) over the running server's own store without anyone calling a delivery pass.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { NOTIFICATION_OUTBOX_TOPIC } from "../../src/notify/topic.js";
import { type RunningServer, startNodeServer } from "../../src/runtime/node.js";
import { put, signingJwk, storedSubscription } from "../support/notify-fixtures.js";

const ENDPOINT = "https://la201.example/loop";
const keys: string[] = [];
const server = setupServer(
  http.post(ENDPOINT, ({ request }) => {
    keys.push(request.headers.get("Idempotency-Key") ?? "");
    return new HttpResponse(null, { status: 204 });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "bypass" }));
afterAll(() => server.close());

async function start(deliver: boolean | undefined): Promise<RunningServer> {
  return startNodeServer({
    env: {
      TFG_DATA_DIR: mkdtempSync(join(tmpdir(), "tfg-notify-loop-")),
      TFG_PORT: "0",
      TFG_SIGNING_JWK: JSON.stringify(await signingJwk("loop-1")),
      TFG_NOTIFY_INTERVAL_SECONDS: "1",
    },
    logger: silentLogger,
    ...(deliver === undefined ? {} : { deliver }),
  });
}

async function queue(running: RunningServer, id: string) {
  await put(running.store, [storedSubscription("loop-sub", "201", ENDPOINT)]);
  await running.store.commit({
    outbox: [
      {
        id,
        topic: NOTIFICATION_OUTBOX_TOPIC,
        payload: {
          subscription: "Subscription/loop-sub",
          focus: "Encounter/e1",
          contact: { event: "discharge", adult: "Patient/a1", children: ["Patient/c1"], cases: ["CarePlan/p1"] },
        },
      },
    ],
  });
}

/** Waits (polling, no time limit asserted) until the message leaves `pending`, or `tries` polls pass. */
async function settle(running: RunningServer, id: string, tries = 100) {
  for (let i = 0; i < tries; i++) {
    const m = await running.store.getOutbox(id);
    if (m?.status === "delivered" || m?.status === "dead") return m;
    await new Promise((r) => setTimeout(r, 100));
  }
  return running.store.getOutbox(id);
}

describe("Node delivery loop", () => {
  it("is off unless asked: a queued message stays pending", async () => {
    const running = await start(undefined);
    try {
      await queue(running, "loop-off-message");
      await new Promise((r) => setTimeout(r, 1500));
      expect((await running.store.getOutbox("loop-off-message"))?.status).toBe("pending");
    } finally {
      await running.close();
    }
  });

  it("delivers a queued message by itself when asked, and stops with the server", async () => {
    const running = await start(true);
    try {
      await queue(running, "loop-on-message");
      expect(await settle(running, "loop-on-message")).toMatchObject({ status: "delivered", attempts: 1 });
      expect(keys).toEqual(["loop-on-message"]);
    } finally {
      await running.close();
    }
  });
});
