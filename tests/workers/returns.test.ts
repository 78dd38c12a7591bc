// National returns inside workerd on D1 (issue 11 scope 3): the Cron Trigger's pass starts a scheduled return once
// per period, and the Queue consumer runs a job started over HTTP — the same job code as on Node.
import {
  applyD1Migrations,
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  env,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { base64url } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { JobLog, orgJobsStream } from "../../src/returns/jobs/job-log.js";
import worker, { type WorkerEnv } from "../../src/runtime/worker.js";
import { d1Store } from "../../src/store/d1/index.js";
import { createTestApp } from "../support/test-app.js";

const KEYS = JSON.stringify({ "mh-children": [{ id: "mhc-w", secret: base64url.encode(new Uint8Array(32).fill(7)) }] });
const SCHEDULE = JSON.stringify([{ kind: "mh-children", org: "RW1", orgType: "mh-trust", every: "quarter" }]);

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

describe("returns on Workers", () => {
  it("the Cron pass starts the last complete quarter's scheduled return once, and builds it", async () => {
    const bindings = { ...env, TFG_RETURN_KEYS: KEYS, TFG_RETURN_SCHEDULE: SCHEDULE } as unknown as WorkerEnv;
    delete (bindings as { RETURN_JOBS?: unknown }).RETURN_JOBS; // no Queue: the pass builds under waitUntil
    for (let pass = 0; pass < 2; pass++) {
      const ctx = createExecutionContext();
      worker.scheduled(
        createScheduledController({ scheduledTime: new Date(Date.UTC(2026, 6, 15)), cron: "* * * * *" }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
    }
    const store = d1Store(env.DB);
    const listed = await store.readLog(orgJobsStream("RW1"), 0, 10);
    expect(listed).toHaveLength(1);
    const job = await new JobLog(store).get(String(listed[0]?.payload.job));
    expect(job?.request.period).toEqual({ start: "2026-04-01", end: "2026-06-30" });
    expect(job?.status).toBe("built");
    expect(job?.files.length).toBeGreaterThan(0);
  });

  it("the Queue consumer runs a job started over HTTP, once however often the message comes", async () => {
    const started: string[] = [];
    const t = await createTestApp(
      d1Store(env.DB),
      { TFG_RETURN_KEYS: KEYS },
      {
        returnScheduler: (id) => {
          started.push(id);
        },
      },
    );
    const token = await t.issuer.sign({
      sub: "m",
      org: "RW2",
      org_type: "mh-trust",
      role: "manager",
      purpose_of_use: "statistics",
    });
    const res = await t.app.request("http://gw.test/returns/mh-children", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ period: { start: "2026-04-01", end: "2026-06-30" } }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect(started).toEqual([id]);
    const bindings = { ...env, TFG_RETURN_KEYS: KEYS } as unknown as WorkerEnv;
    for (let delivery = 0; delivery < 2; delivery++) {
      const batch = createMessageBatch("tfg-return-jobs", [
        { id: `m${delivery}`, timestamp: new Date(), attempts: 1, body: { job: id } },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, bindings);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks).toEqual([`m${delivery}`]);
    }
    const job = await new JobLog(d1Store(env.DB)).get(id);
    expect(job?.status).toBe("built");
    const events = await d1Store(env.DB).readLog(`return-job:${id}`, 0, 100);
    expect(events.filter((e) => e.payload.type === "started")).toHaveLength(1);
  });
});
