/**
 * `npx tsx bench/load-profile.ts [healthz|read|search|large]…`: where the gateway's CPU goes under load. Starts
 * `src/runtime/node.ts` with `--cpu-prof` on a seeded SQLite file, drives one route with autocannon, stops the
 * server and sums the profile's self time (only samples taken while autocannon ran) per function and per file or
 * package, as µs per request. Also prints the server's CPU µs per request from /proc, beside a hello-world
 * Hono route's measured the same way in the same run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { seedLoadData } from "./load-seed.js";
import { cpuMicros, type Server, startServer, stop } from "./load-server.js";

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_LOAD_CONNECTIONS ?? 200);
const PATIENTS = Number(process.env.BENCH_LOAD_PATIENTS ?? 10_000);
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 30);
/** Where a before/after pair's other checkout is (its own `src/runtime/node.ts` is profiled instead). */
const CWD = process.env.BENCH_PROFILE_CWD;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Groups a script URL: a package under node_modules by its name, node internals as `node:`, else the repository path. */
function fileOf(url: string): string {
  if (!url) return "(native/VM)";
  if (url.startsWith("node:")) return url;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm:${nm[1]}`;
  const src = /\/((?:src|bench)\/.*)$/.exec(url);
  return src?.[1] ?? url;
}

/** Self time per function and per file (µs), of the samples taken between `from` and `to` (µs, monotonic clock). */
function summarise(profile: CpuProfile, from: number, to: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i] as number);
    if (!node) continue;
    const f = node.callFrame;
    const file = fileOf(f.url);
    const fn = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + dt);
    files.set(file, (files.get(file) ?? 0) + dt);
    total += dt;
  }
  return { fns, files, total };
}

/** Drives `path(i)` at the server for SECONDS; returns requests done, server CPU µs and the monotonic window (µs). */
async function drive(server: Server, path: (i: number) => string, token?: string) {
  let n = 0;
  const cpu0 = cpuMicros(server.child.pid);
  const from = Number(process.hrtime.bigint() / 1000n);
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: token ? { authorization: `Bearer ${token}`, accept: "application/fhir+json" } : {},
    requests: [{ setupRequest: (req) => ({ ...req, path: path(n++) }) }],
  });
  const to = Number(process.hrtime.bigint() / 1000n);
  const cpu = cpuMicros(server.child.pid) - cpu0;
  return { requests: result.requests.total, rps: result.requests.average, p99: result.latency.p99, cpu, from, to };
}

const SCENARIOS: Record<string, (i: number) => string> = {
  hello: () => "/hello",
  healthz: () => "/healthz",
  read: (i) => `/fhir/Patient/p-${(i * 7919) % PATIENTS}`,
  search: (i) => `/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${9990000000 + ((i * 7919) % PATIENTS)}`,
  large: () => "/fhir/Patient/large",
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => a in SCENARIOS);
  const names = wanted.length ? wanted : ["healthz", "read"];
  const dir = mkdtempSync(join(tmpdir(), "tfg-profile-"));
  const dataDir = join(dir, "data");
  try {
    const token = await seedLoadData(dataDir, PATIENTS, 1_000_000);
    const hello = await startServer("bench/load-hello.ts", [], {});
    const base = await drive(hello, () => "/hello");
    await stop(hello);
    console.log(
      `hello: ${base.rps.toFixed(0)} req/s, server CPU ${(base.cpu / base.requests).toFixed(1)} µs/request, p99 ${base.p99} ms`,
    );
    for (const name of names) {
      const profDir = join(dir, `prof-${name}`);
      const gateway = await startServer(
        name === "hello" ? "bench/load-hello.ts" : "src/runtime/node.ts",
        name === "hello" ? [] : ["--dev-issuer"],
        { TFG_DATA_DIR: dataDir },
        { nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${profDir}`], ...(CWD ? { cwd: CWD } : {}) },
      );
      const path = SCENARIOS[name] as (i: number) => string;
      const r = await drive(gateway, path, name === "healthz" || name === "hello" ? undefined : token);
      await stop(gateway);
      const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
      if (!file) throw new Error(`no profile written in ${profDir}`);
      const profile = JSON.parse(readFileSync(join(profDir, file), "utf8")) as CpuProfile;
      let s = summarise(profile, r.from, r.to);
      if (s.total === 0) s = summarise(profile, 0, Number.POSITIVE_INFINITY);
      const per = (us: number) => (us / r.requests).toFixed(2);
      console.log(
        `\n## ${name}: ${r.rps.toFixed(0)} req/s (${(r.rps / base.rps).toFixed(3)} of hello), p99 ${r.p99} ms, server CPU ${(r.cpu / r.requests).toFixed(1)} µs/request (${(r.cpu / r.requests / (base.cpu / base.requests)).toFixed(2)}× hello); profiled ${per(s.total)} µs/request; load ${loadavg()[0]?.toFixed(1)}`,
      );
      const top = (m: Map<string, number>) =>
        [...m.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, TOP)
          .map(([k, v]) => `${per(v).padStart(8)} µs  ${((100 * v) / s.total).toFixed(1).padStart(5)} %  ${k}`)
          .join("\n");
      console.log(`### by file or package\n${top(s.files)}\n### by function\n${top(s.fns)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
