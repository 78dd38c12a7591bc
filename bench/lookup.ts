/**
 * `npm run bench:lookup`: `POST /fhir/Patient/$household-check` over real sockets (autocannon, 200 connections) on
 * the Node gateway (`src/runtime/node.ts`, its own process) with SQLite, policy and audit included, beside a
 * hello-world Hono route in its own process measured the same way in the same run (first and last; the ratio is to
 * their mean). The data: a synthetic population (npm run synth's generator) ingested with the whole derivation chain,
 * so persons, households and flags are real; the lookup is a children's social worker's s47 check of a child open to
 * their LA who lives with a CPA patient. Prints throughput, p50, p99, the server process's CPU µs per answered request
 * (/proc) and the ratio as Markdown (docs/BENCHMARKS.md).
 * The gateway is started on a free port and awaited on /healthz (its log goes to /dev/null, at info).
 * `BENCH_LOOKUP_SECONDS` (default 10), `BENCH_LOOKUP_CONNECTIONS` (200), `BENCH_LOOKUP_HOUSEHOLDS` (200);
 * `BENCH_LOOKUP_PROFILE_DIR` writes the gateway's V8 CPU profile there (`bench/profile-summary.ts` sums it).
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { ensureDevKey, mintDevToken } from "../src/runtime/dev-issuer.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { cpuMicros, type Server, startServer, stop } from "./load-server.js";
import { pickCase, seed } from "./lookup-seed.js";

/** A free TCP port on 127.0.0.1. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });

/** Starts the gateway on a fixed free port and waits for /healthz (its log goes nowhere: no pipe to fill or to wait on). */
async function startGateway(dataDir: string): Promise<Server> {
  const port = await freePort();
  // BENCH_LOOKUP_PROFILE_DIR: the gateway writes a V8 CPU profile there when it stops (bench/profile-summary.ts).
  const profile = process.env.BENCH_LOOKUP_PROFILE_DIR;
  const flags = profile ? ["--cpu-prof", "--cpu-prof-dir", profile] : [];
  const child = spawn(process.execPath, [...flags, "--import", "tsx", "src/runtime/node.ts", "--dev-issuer"], {
    env: { ...process.env, TFG_DATA_DIR: dataDir, TFG_PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { child, url };
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill("SIGTERM");
  throw new Error("the gateway did not start within 120 s");
}

const SECONDS = Number(process.env.BENCH_LOOKUP_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_LOOKUP_CONNECTIONS ?? 200);
const HOUSEHOLDS = Number(process.env.BENCH_LOOKUP_HOUSEHOLDS ?? 200);
interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** The server process's CPU (user + system, /proc) per answered request, µs. */
  cpuPerRequest: number;
}

async function measure(
  name: string,
  server: Server,
  path: string,
  options: Partial<autocannon.Options> = {},
): Promise<Row> {
  const cpu0 = cpuMicros(server.child.pid);
  const r = await autocannon({ url: `${server.url}${path}`, connections: CONNECTIONS, duration: SECONDS, ...options });
  const cpu = cpuMicros(server.child.pid) - cpu0;
  return {
    cpuPerRequest: cpu / Math.max(1, r.requests.total),
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "tfg-lookup-bench-"));
  try {
    await ensureDevKey(dataDir);
    const store = await openSqliteStore(join(dataDir, "tfg.sqlite"), loadMigrations());
    const started = performance.now();
    await seed(store, HOUSEHOLDS);
    const { nhs, la } = await pickCase(store);
    const patients = (await store.search({ resourceType: "Patient", criteria: [], count: 0, sort: "id" })).total;
    await store.close();
    console.error(`seeded ${patients} Patients in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const token = await mintDevToken(dataDir, {
      sub: "bench-social-worker",
      org: la,
      org_type: "la-childrens-services",
      role: "practitioner",
      purpose_of_use: "safeguarding-s47",
    });
    const rows: Row[] = [];
    const hello = async (label: string) => {
      const s = await startServer("bench/load-hello.ts", [], {});
      rows.push(await measure(`hello-world Hono route (${label})`, s, "/hello"));
      await stop(s);
    };
    await hello("first");
    console.error("hello-world measured");
    const gw = await startGateway(dataDir);
    console.error("gateway listening");
    const body = JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "nhsNumber", valueString: nhs }] });
    const probe = await fetch(`${gw.url}/fhir/Patient/$household-check`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/fhir+json",
        accept: "application/fhir+json",
      },
      body,
    });
    const answer = (await probe.json()) as { parameter?: unknown[] };
    console.error(`probe: ${probe.status}, ${answer.parameter?.length ?? 0} adult(s) listed`);
    rows.push(
      await measure(
        "POST /fhir/Patient/$household-check (s47, SQLite, policy + audit)",
        gw,
        "/fhir/Patient/$household-check",
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/fhir+json",
            accept: "application/fhir+json",
          },
          body,
        },
      ),
    );
    await stop(gw);
    await hello("last");
    const helloRps = ((rows[0]?.rps ?? 0) + (rows[2]?.rps ?? 0)) / 2;
    console.log(
      `\nMachine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.version}; ${CONNECTIONS} connections, ${SECONDS} s each; ${patients} Patients (${HOUSEHOLDS} synthetic households); every lookup writes its AuditEvents.\n`,
    );
    console.log(
      "| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | server CPU µs / request | ratio to hello-world |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of rows)
      console.log(
        `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.errors} | ${r.cpuPerRequest.toFixed(0)} | ${((100 * r.rps) / helloRps).toFixed(1)} % |`,
      );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
