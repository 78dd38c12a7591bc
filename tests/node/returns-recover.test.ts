// Recovery of return jobs a crash left behind (src/returns/jobs/recover.ts): an abandoned "running" build is queued
// again once its lease has passed and is built again; one still within its lease is left alone; two recoverers never
// both take it; a job that was never started is handed out again. Real SQLite store, the real job log.
import { describe, expect, it } from "vitest";
import { createAuditor } from "../../src/audit/auditor.js";
import { JobLog } from "../../src/returns/jobs/job-log.js";
import { recoverJob } from "../../src/returns/jobs/recover.js";
import { fileKey } from "../../src/returns/jobs/run-job.js";
import { type JobScheduler, ReturnsService } from "../../src/returns/jobs/service.js";
import { NO_RETURN_SETTINGS } from "../../src/returns/jobs/settings.js";
import type { ReturnBuilder, ReturnRequest } from "../../src/returns/port.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { stubReturn } from "../support/stub-return.js";

const LEASE_SECONDS = 60;
const REQUEST: ReturnRequest = {
  kind: "ndtms",
  period: { start: "2026-04-01", end: "2026-06-30" },
  scope: { org: "AG1" },
};
const BY = { org: "AG1", orgType: "drug-alcohol-service", role: "manager", subject: "manager-1" };

let builds = 0;
const builder: ReturnBuilder = async (request) => {
  builds++;
  return stubReturn(request.kind, "A,B\n1,2\n", "k1");
};

/** A service whose clock reads `offsetMs` after the real one (the log's entries carry the real time). */
async function setup(offsetMs: number, existing?: Store) {
  const store = existing ?? (await openSqliteStore(":memory:", loadMigrations()));
  const clock = () => new Date(Date.now() + offsetMs);
  let n = 0;
  const service = new ReturnsService({
    store,
    auditor: createAuditor({ store, clock, newId: () => `a${n++}`, source: { name: "test" } }),
    build: builder,
    settings: { ...NO_RETURN_SETTINGS, buildLeaseSeconds: LEASE_SECONDS },
    signer: async () => undefined,
    clock,
    newId: () => `j${n++}`,
  });
  const handed: string[] = [];
  const schedule: JobScheduler = (id) => {
    handed.push(id);
  };
  return { store, log: new JobLog(store), service, handed, schedule };
}

/** A job whose build started and whose process then died (nothing more was written). */
async function abandoned(log: JobLog, id: string) {
  const job = await log.create(id, REQUEST, BY);
  expect(await log.appendAfter(job, { type: "started" })).toBe(true);
  return (await log.get(id)) ?? expect.unreachable();
}

describe("return job recovery", () => {
  it("queues an abandoned build again after its lease and builds it again, once", async () => {
    const t = await setup((LEASE_SECONDS + 5) * 1000);
    await abandoned(t.log, "crashed-1");
    builds = 0;
    expect(await t.service.recover(t.schedule)).toEqual(["crashed-1"]);
    expect(t.handed).toEqual(["crashed-1"]);
    const requeued = await t.log.get("crashed-1");
    expect([requeued?.status, requeued?.restarts]).toEqual(["queued", 1]);
    expect(await t.service.run("crashed-1")).toBe("built");
    expect(await t.service.run("crashed-1")).toBeUndefined(); // a second runner finds it built
    expect(builds).toBe(1);
    const built = await t.log.get("crashed-1");
    expect([built?.status, built?.restarts, built?.files.length]).toEqual(["built", 1, 1]);
    // A later pass finds nothing to do.
    expect(await t.service.recover(t.schedule)).toEqual([]);
  });

  it("leaves a build within its lease alone", async () => {
    const t = await setup(0);
    await abandoned(t.log, "busy-1");
    expect(await t.service.recover(t.schedule)).toEqual([]);
    expect((await t.log.get("busy-1"))?.status).toBe("running");
  });

  it("lets only one of two recoverers requeue the same build", async () => {
    const t = await setup(0);
    const job = await abandoned(t.log, "raced-1");
    const later = new Date(Date.now() + (LEASE_SECONDS + 5) * 1000);
    const outcomes = await Promise.all([
      recoverJob(t.log, job, later, LEASE_SECONDS * 1000),
      recoverJob(t.log, job, later, LEASE_SECONDS * 1000),
    ]);
    expect(outcomes.filter((o) => o === "abandoned-build")).toHaveLength(1);
    expect(outcomes.filter((o) => o === undefined)).toHaveLength(1);
    expect((await t.log.get("raced-1"))?.restarts).toBe(1);
  });

  it("hands out a job that was never started, and leaves built and failed jobs alone", async () => {
    const t = await setup((LEASE_SECONDS + 5) * 1000);
    await t.log.create("never-1", REQUEST, BY);
    const done = await t.log.create("done-1", REQUEST, BY);
    await t.log.appendAfter(done, { type: "started" });
    await t.log.append("done-1", { type: "failed", code: "x", message: "failed for the test" });
    expect(await t.service.recover(t.schedule)).toEqual(["never-1"]);
    expect((await t.log.get("never-1"))?.restarts).toBe(0);
    expect(await t.service.run("never-1")).toBe("built");
    expect((await t.log.get("done-1"))?.status).toBe("failed");
  });

  it("deletes a built job's files after their retention, records it once, and answers 410 for them", async () => {
    const fresh = await setup(0);
    const job = await fresh.log.create("kept-1", REQUEST, BY);
    expect(await fresh.service.run(job.id)).toBe("built");
    expect(await fresh.service.expireFiles()).toEqual([]);
    expect(await fresh.store.readFile(fileKey("kept-1", "ndtms.csv"))).toBeDefined();

    // The same store seen 91 days on (the default retention is 90 days).
    const { service } = await setup(91 * 24 * 60 * 60 * 1000, fresh.store);
    expect(await service.expireFiles()).toEqual(["kept-1"]);
    expect(await service.expireFiles()).toEqual([]);
    expect(await fresh.store.readFile(fileKey("kept-1", "ndtms.csv"))).toBeUndefined();
    const state = await fresh.log.get("kept-1");
    expect([state?.status, state?.filesDeleted, state?.files[0]?.sha256.length]).toEqual(["built", true, 64]);
    const actor = {
      subject: BY.subject,
      issuer: "test",
      org: BY.org,
      orgType: "drug-alcohol-service" as const,
      role: "manager" as const,
      purposeOfUse: "statistics" as const,
      tokenId: { kind: "jti" as const, value: "t1" },
    };
    await expect(service.file(actor, "kept-1")).rejects.toMatchObject({ status: 410 });
  });
});
