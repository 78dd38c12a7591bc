// The console's returns page against a fake of its ConsoleReturns interface (start a build with the session's actor
// and scope, watch it refresh until built, read the risk report, submit with CSRF, see the receipt; bad dates name
// their field), and on the gateway's own returns service (a real build, audited as the API's).
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor.js";
import type { ConsoleReturns, ReturnJobView } from "../../src/console/returns-page.js";
import type { ReturnRequest } from "../../src/returns/port.js";
import { Client, type ConsoleTestApp, consoleApp, type DevUser, devSignIn } from "./console-support.js";

const calls: { op: string; actor: Actor; request?: ReturnRequest; id?: string }[] = [];
const jobs = new Map<string, ReturnJobView>();
const fake: ConsoleReturns = {
  async start(actor, request) {
    calls.push({ op: "start", actor, request });
    const job: ReturnJobView = {
      id: `job-${jobs.size + 1}`,
      kind: request.kind,
      state: "building",
      progress: { done: 3 },
    };
    jobs.set(job.id, job);
    return job;
  },
  async get(actor, id) {
    calls.push({ op: "get", actor, id });
    return jobs.get(id);
  },
  async submit(actor, id) {
    calls.push({ op: "submit", actor, id });
    const job = jobs.get(id) as ReturnJobView;
    Object.assign(job, { state: "submitted", receipt: { reference: "R-123", at: "2026-04-15T10:00:00Z" } });
    return job;
  },
};

let t: ConsoleTestApp;
const manager: DevUser = { subject: "dm-1", org: "RX4", orgType: "mh-trust", role: "manager", purpose: "statistics" };

beforeAll(async () => {
  t = await consoleApp({ households: 0, returns: fake });
});

describe("returns page", () => {
  it("starts a build for the session's actor and organisation, refreshes while it builds, submits with CSRF", async () => {
    const client = new Client(t.app);
    await devSignIn(client, manager);
    const csrf = await client.csrf("/console/returns");
    const started = await client.post("/console/returns", {
      kind: "mh-children",
      start: "2025-04-01",
      end: "2026-03-31",
      _csrf: csrf,
    });
    expect(started.status).toBe(303);
    expect(started.headers.get("Location")).toBe("/console/returns/job-1");
    expect(calls[0]).toMatchObject({
      op: "start",
      actor: { org: "RX4", role: "manager", purposeOfUse: "statistics", subject: "dm-1" },
      request: { kind: "mh-children", period: { start: "2025-04-01", end: "2026-03-31" }, scope: { org: "RX4" } },
    });
    const building = await client.request("/console/returns/job-1");
    expect(building.headers.get("Refresh")).toBe("3");
    expect(await building.text()).toContain("3 records read");
    Object.assign(jobs.get("job-1") as ReturnJobView, {
      state: "built",
      risk: {
        kind: "mh-children",
        rule: "nhs",
        quasiIdentifiers: ["team"],
        k: null,
        smallestCell: 8,
        recordsIn: 40,
        recordsOut: 40,
        suppressed: [{ cell: "team-a|pregnant", reason: "primary", rule: "nhs-1-7" }],
        notes: ["counts rounded to the nearest 5"],
      },
    });
    const built = await client.request("/console/returns/job-1");
    expect(built.headers.get("Refresh")).toBeNull();
    const html = await built.text();
    expect(html).toContain("Disclosure-risk report");
    expect(html).toContain("team-a|pregnant");
    expect(html).toContain("Submit the return");
    expect((await client.post("/console/returns/job-1/submit", {})).status).toBe(403);
    expect(calls.some((c) => c.op === "submit")).toBe(false);
    const sent = await client.post("/console/returns/job-1/submit", { _csrf: csrf });
    expect(sent.status).toBe(303);
    expect(await (await client.request("/console/returns/job-1")).text()).toContain("R-123");
  });

  it("names a bad date's field", async () => {
    const client = new Client(t.app);
    await devSignIn(client, manager);
    const csrf = await client.csrf("/console/returns");
    const res = await client.post("/console/returns", {
      kind: "mh-children",
      start: "2026-13-01",
      end: "2026-03-31",
      _csrf: csrf,
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('href="#start"');
  });

  it("on the gateway's own returns service: builds a real return, and the build is audited as the API's is", async () => {
    const key = Buffer.alloc(32, 9).toString("base64url");
    const real = await consoleApp({
      households: 0,
      env: { TFG_RETURN_KEYS: `{"mh-children":[{"id":"c1","secret":"${key}"}]}` },
    });
    const client = new Client(real.app);
    await devSignIn(client, manager);
    const csrf = await client.csrf("/console/returns");
    const started = await client.post("/console/returns", {
      kind: "mh-children",
      start: "2025-04-01",
      end: "2026-03-31",
      _csrf: csrf,
    });
    expect(started.status).toBe(303);
    const page = started.headers.get("Location") as string;
    let html = "";
    for (let i = 0; i < 50 && !html.includes("Disclosure-risk report"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      html = await (await client.request(page)).text();
    }
    expect(html).toContain("Disclosure-risk report");
    const audit = await real.store.readLog("audit", 0, 500);
    const builds = audit.filter((e) => JSON.stringify(e.payload).includes('"$return-build"'));
    expect(builds).toHaveLength(1);
    expect(JSON.stringify(builds[0]?.payload)).toContain("dm-1");
  });
});
