/**
 * `npm run bench:load`: the gateway over real sockets under many connections (autocannon), in its own
 * process on a SQLite file, against a hello-world Hono server in its own process as the baseline (measured first
 * and last; ratios are to the mean of the two). Scenarios: /healthz, Patient read and identifier search at 200
 * connections, reads of one large resource at 20 connections, and reads at 200 connections while a CLI ingest writes
 * to the same database file. Reports req/s, the server's CPU µs per request (Linux /proc), p50/p99/p99.9/max latency,
 * errors and non-2xx answers, the server's event-loop delay and longest GC pause (bench/load-probe.ts, preloaded),
 * and its RSS before, peak and after each scenario. Prints Markdown for docs/BENCHMARKS.md.
 *
 * `BENCH_LOAD_BEFORE=/path/to/other/checkout` also runs the other checkout's gateway (its own `src/runtime/node.ts`
 * and CLI, on its own copy of the same seeded file) in every scenario, alternating with this one's, so a before/after
 * pair shares the machine's load. `BENCH_LOAD_WORKERS=2` adds this checkout's gateway run with `TFG_WORKERS=2` (two
 * server processes on one port; CPU and RSS are summed over them). `BENCH_LOAD_ONLY=healthz,read` runs some
 * scenarios only.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import autocannon from "autocannon";
import { ndtmsIngestArgs } from "./cli-ingest.js";
import { ndtmsCsv } from "./fixtures.js";
import { mergeReports, type ProbeReport } from "./load-probe.js";
import { seedLoadData } from "./load-seed.js";
import { cpuMicros, processTree, rssMb, type Server, startServer, stop } from "./load-server.js";

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_LOAD_CONNECTIONS ?? 200);
const PATIENTS = Number(process.env.BENCH_LOAD_PATIENTS ?? 10_000);
const INGEST_ROWS = Number(process.env.BENCH_LOAD_INGEST_ROWS ?? 20_000);
const LARGE_BYTES = Number(process.env.BENCH_LOAD_LARGE_BYTES ?? 4_000_000);
const BEFORE = process.env.BENCH_LOAD_BEFORE ? resolve(process.env.BENCH_LOAD_BEFORE) : undefined;
const WORKERS = Number(process.env.BENCH_LOAD_WORKERS ?? 1);
const ONLY = process.env.BENCH_LOAD_ONLY?.split(",").map((s) => s.trim());
const PROBE = pathToFileURL(resolve("bench/load-probe.ts")).href;

/** One gateway build under test: this checkout, or the other one of a before/after pair. */
interface Build {
  label: string;
  cwd: string | undefined;
  /** Extra environment of its server (TFG_WORKERS). */
  env: Record<string, string>;
  dataDir: string;
  probeFile: string;
  server?: Server;
}

/** One scenario's figures. */
interface Row {
  name: string;
  build: string;
  connections: number;
  rps: number;
  cpuPerRequest: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  errors: number;
  non2xx: number;
  rss: { before: number; peak: number; after: number };
  probe?: ProbeReport;
  load: number;
  note?: string;
}

/** Asks every server process's probe for its report since the last ask (SIGUSR2), waiting for the files they write. */
async function probe(server: Server, file: string | undefined): Promise<ProbeReport | undefined> {
  if (!file) return undefined;
  const pids = processTree(server.child.pid);
  const files = pids.map((p) => `${file}.${p}`);
  for (const f of files) rmSync(f, { force: true });
  for (const p of pids) {
    try {
      process.kill(p, "SIGUSR2");
    } catch {
      // gone
    }
  }
  for (let i = 0; i < 250 && !files.every((f) => existsSync(f)); i++) await new Promise((r) => setTimeout(r, 20));
  return mergeReports(
    files.filter((f) => existsSync(f)).map((f) => JSON.parse(readFileSync(f, "utf8")) as ProbeReport),
  );
}

/** Runs autocannon against `server` with `paths` taken in turn, sampling the server's RSS and CPU time. */
async function scenario(
  name: string,
  build: string,
  server: Server,
  paths: (i: number) => string,
  options: { connections?: number; token?: string; note?: () => string; probeFile?: string } = {},
): Promise<Row> {
  const pid = server.child.pid;
  await probe(server, options.probeFile);
  const before = rssMb(pid);
  const cpu0 = cpuMicros(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 100);
  let n = 0;
  const connections = options.connections ?? CONNECTIONS;
  const result = await autocannon({
    url: server.url,
    connections,
    duration: SECONDS,
    headers: options.token ? { authorization: `Bearer ${options.token}`, accept: "application/fhir+json" } : {},
    requests: [{ setupRequest: (req) => ({ ...req, path: paths(n++) }) }],
  });
  const cpu = cpuMicros(pid) - cpu0;
  clearInterval(sampler);
  const report = await probe(server, options.probeFile);
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssMb(pid);
  return {
    name,
    build,
    connections,
    rps: result.requests.average,
    cpuPerRequest: cpu / Math.max(1, result.requests.total),
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    rss: { before, peak: Math.max(peak, after), after },
    ...(report ? { probe: report } : {}),
    load: loadavg()[0] ?? Number.NaN,
    ...(options.note ? { note: options.note() } : {}),
  };
}

/** Runs a build's CLI ingest of an NDTMS file into its data folder; resolves with elapsed seconds and exit code. */
function ingestBeside(b: Build, file: string): Promise<{ seconds: number; code: number | null }> {
  const started = performance.now();
  const child = spawn(process.execPath, ndtmsIngestArgs(file, ["--quiet"]), {
    env: { ...process.env, TFG_DATA_DIR: b.dataDir },
    stdio: ["ignore", "ignore", "inherit"],
    ...(b.cwd ? { cwd: b.cwd } : {}),
  });
  return new Promise((done) =>
    child.once("exit", (code) => done({ seconds: (performance.now() - started) / 1000, code })),
  );
}

const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : "–");

/** The scenarios each build runs, in order; `ingest` is the one with a CLI ingest beside it. */
const SCENARIOS = ["healthz", "read", "search", "large", "ingest"] as const;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tfg-load-"));
  const seeded = join(dir, "seed");
  const rows: Row[] = [];
  const plain: Record<string, string> = {};
  const builds: Build[] = [
    ...(BEFORE ? [{ label: "before", cwd: BEFORE, env: plain }] : []),
    { label: BEFORE ? "after" : "this", cwd: undefined, env: plain },
    ...(WORKERS > 1
      ? [
          {
            label: `${BEFORE ? "after" : "this"}, TFG_WORKERS=${WORKERS}`,
            cwd: undefined,
            env: { TFG_WORKERS: String(WORKERS) } as Record<string, string>,
          },
        ]
      : []),
  ].map((b) => ({
    ...b,
    dataDir: join(dir, `data-${b.label.replace(/\W+/g, "-")}`),
    probeFile: join(dir, `probe-${b.label.replace(/\W+/g, "-")}.json`),
  }));
  try {
    const token = await seedLoadData(seeded, PATIENTS, LARGE_BYTES);
    for (const b of builds) {
      mkdirSync(b.dataDir, { recursive: true });
      for (const f of ["tfg.sqlite", "dev-signing-key.json"]) copyFileSync(join(seeded, f), join(b.dataDir, f));
    }
    const hello = async (label: string) => {
      const server = await startServer("bench/load-hello.ts", [], {});
      rows.push(await scenario("hello-world Hono route, own process (baseline)", label, server, () => "/hello"));
      await stop(server);
    };
    await hello("first");

    for (const b of builds) {
      b.server = await startServer(
        "src/runtime/node.ts",
        ["--dev-issuer"],
        { ...b.env, TFG_DATA_DIR: b.dataDir, BENCH_PROBE_FILE: b.probeFile },
        { preload: [PROBE], ...(b.cwd ? { cwd: b.cwd } : {}) },
      );
    }
    const file = join(dir, "ingest.csv");
    writeFileSync(file, ndtmsCsv(INGEST_ROWS));
    const id = (i: number) => `p-${(i * 7919) % PATIENTS}`;
    try {
      for (const [k, name] of SCENARIOS.entries()) {
        if (ONLY && !ONLY.includes(name)) continue;
        // Alternate which build goes first, so neither always runs on the warmer (or busier) machine.
        const order = k % 2 === 0 ? builds : [...builds].reverse();
        for (const b of order) {
          const server = b.server as Server;
          const common = { probeFile: b.probeFile };
          if (name === "healthz") {
            rows.push(await scenario("GET /healthz (no token)", b.label, server, () => "/healthz", common));
          } else if (name === "read") {
            rows.push(
              await scenario("read GET /fhir/Patient/:id", b.label, server, (i) => `/fhir/Patient/${id(i)}`, {
                ...common,
                token,
              }),
            );
          } else if (name === "search") {
            rows.push(
              await scenario(
                "search GET /fhir/Patient?identifier=",
                b.label,
                server,
                (i) =>
                  `/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${9990000000 + ((i * 7919) % PATIENTS)}`,
                { ...common, token },
              ),
            );
          } else if (name === "large") {
            rows.push(
              await scenario(
                `read of one ${(LARGE_BYTES / 1e6).toFixed(0)} MB Patient`,
                b.label,
                server,
                () => "/fhir/Patient/large",
                { ...common, token, connections: 20 },
              ),
            );
          } else {
            let finished: { seconds: number; code: number | null } | undefined;
            const ingest = ingestBeside(b, file).then((r) => {
              finished = r;
              return r;
            });
            rows.push(
              await scenario(
                `read GET /fhir/Patient/:id while the CLI ingests ${INGEST_ROWS.toLocaleString("en-GB")} NDTMS rows into the same file`,
                b.label,
                server,
                (i) => `/fhir/Patient/${id(i)}`,
                {
                  ...common,
                  token,
                  note: () =>
                    finished
                      ? `ingest finished in ${finished.seconds.toFixed(0)} s (exit ${finished.code})`
                      : `ingest still running after ${SECONDS} s`,
                },
              ),
            );
            const { seconds, code } = await ingest;
            const last = rows.at(-1);
            if (last?.note?.includes("still running"))
              last.note += `; it finished after ${seconds.toFixed(0)} s (exit ${code})`;
          }
        }
      }
    } finally {
      for (const b of builds) if (b.server) await stop(b.server);
    }
    await hello("last");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const bases = rows.filter((r) => r.name.startsWith("hello-world"));
  const baseRps = bases.reduce((s, r) => s + r.rps, 0) / bases.length;
  const baseCpu = bases.reduce((s, r) => s + r.cpuPerRequest, 0) / bases.length;
  const builtFrom = BEFORE
    ? `"before" is the gateway of the checkout at \`BENCH_LOAD_BEFORE\`, "after" this one's; they alternate in each scenario, each on its own copy of the seeded file`
    : "the gateway of this checkout";
  const out = [
    `\n## ${new Date().toISOString().slice(0, 10)} — load over real sockets (\`npm run bench:load\`, autocannon, ${SECONDS} s per row)\n`,
    `Machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.version}. Gateway: \`src/runtime/node.ts\` (${builtFrom}) on a SQLite file holding ${PATIENTS.toLocaleString("en-GB")} Patients and one large one, request log on (info), one cached token; client and server share the machine. Ratios are to the mean of the two hello-world rows (first and last). "loop p99/max" is the server's event-loop delay, "GC max" its longest garbage-collection pause (total in brackets), both from bench/load-probe.ts; "load" the 1-minute load average after the row.\n`,
    "| scenario | build | conn. | req/s | ÷ hello | server CPU µs/req | ÷ hello | p50 ms | p99 ms | p99.9 ms | max ms | errors | non-2xx | loop p99 / max ms | GC max ms (total) | RSS MB before / peak / after | load |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|",
    ...rows.map(
      (r) =>
        `| ${r.name}${r.note ? ` (${r.note})` : ""} | ${r.build} | ${r.connections} | ${fmt(r.rps)} | ${fmt(r.rps / baseRps, 3)} | ${fmt(r.cpuPerRequest)} | ${fmt(r.cpuPerRequest / baseCpu, 2)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.p999)} | ${fmt(r.max)} | ${r.errors} | ${r.non2xx} | ${r.probe ? `${fmt(r.probe.loopP99)} / ${fmt(r.probe.loopMax)}` : "–"} | ${r.probe ? `${fmt(r.probe.gcMaxMs, 1)} (${fmt(r.probe.gcTotalMs)})` : "–"} | ${fmt(r.rss.before)} / ${fmt(r.rss.peak)} / ${fmt(r.rss.after)} | ${fmt(r.load, 1)} |`,
    ),
  ];
  console.log(out.join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
