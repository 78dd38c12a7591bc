/**
 * `npm run bench:load`: the gateway over real sockets under many connections (autocannon), in its own
 * process on a SQLite file, against a hello-world Hono server in its own process as the baseline.
 * Scenarios: Patient read and identifier search at 200 connections, reads of one large resource at 20
 * connections, and reads at 200 connections while a CLI ingest writes to the same database file.
 * Reports p50/p99/max latency, req/s, errors and non-2xx answers, and the server's RSS before, peak and
 * after each scenario (Linux /proc). Prints Markdown for docs/BENCHMARKS.md.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { prepareWrite } from "../src/fhir/resource-service.js";
import { ensureDevKey, mintDevToken } from "../src/runtime/dev-issuer.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { ndtmsIngestArgs } from "./cli-ingest.js";
import { ndtmsCsv } from "./fixtures.js";
import { benchPatient } from "./side-by-side.js";

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_LOAD_CONNECTIONS ?? 200);
const PATIENTS = Number(process.env.BENCH_LOAD_PATIENTS ?? 10_000);
const INGEST_ROWS = Number(process.env.BENCH_LOAD_INGEST_ROWS ?? 20_000);
const LARGE_BYTES = Number(process.env.BENCH_LOAD_LARGE_BYTES ?? 4_000_000);

/** A server child process and where it listens. */
interface Server {
  child: ChildProcess;
  url: string;
}

/** Starts `script` with tsx in its own Node process; resolves when it logs its "gateway listening" line. */
function startServer(script: string, args: string[], env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    env: { ...process.env, ...env, TFG_PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const m =
        /"url":"(http:\/\/[^"]+)"[^\n]*"gateway listening"|"gateway listening"[^\n]*"url":"(http:\/\/[^"]+)"/.exec(
          buffered,
        );
      if (m) {
        // Keep draining the request log so the server never blocks on a full pipe.
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve({ child, url: (m[1] ?? m[2]) as string });
      } else if (buffered.length > 1e6) buffered = buffered.slice(-4096);
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code} before listening`)));
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    server.child.once("exit", () => resolve());
    server.child.kill("SIGTERM");
  });
}

/** The process's resident set size in MB (Linux), or NaN elsewhere. */
function rssMb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** One scenario's figures. */
interface Row {
  name: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  rss: { before: number; peak: number; after: number };
  note?: string;
}

/** Runs autocannon against `server` with `paths` taken in turn, sampling the server's RSS. */
async function scenario(
  name: string,
  server: Server,
  paths: (i: number) => string,
  options: { connections?: number; token?: string; seconds?: number; note?: () => string } = {},
): Promise<Row> {
  const pid = server.child.pid;
  const before = rssMb(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 100);
  let n = 0;
  const connections = options.connections ?? CONNECTIONS;
  const result = await autocannon({
    url: server.url,
    connections,
    duration: options.seconds ?? SECONDS,
    headers: options.token ? { authorization: `Bearer ${options.token}`, accept: "application/fhir+json" } : {},
    requests: [
      {
        setupRequest: (req) => ({ ...req, path: paths(n++) }),
      },
    ],
  });
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssMb(pid);
  return {
    name,
    connections,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    rss: { before, peak: Math.max(peak, after), after },
    ...(options.note ? { note: options.note() } : {}),
  };
}

/** A Patient of about `bytes` of JSON: many addresses, as a record carried over from a long history would have. */
function largePatient(bytes: number) {
  const base = benchPatient(0);
  const address = [];
  for (let size = 0, i = 0; size < bytes; i++) {
    const a = {
      use: "old" as const,
      line: [`${i} Synthetic Street`, "Nowhere Estate"],
      city: "Testtown",
      postalCode: "ZZ99 9ZZ",
    };
    address.push(a);
    size += JSON.stringify(a).length + 1;
  }
  return {
    ...base,
    id: "large",
    identifier: [{ system: "https://fhir.nhs.uk/Id/nhs-number", value: "9990000018" }],
    address,
  };
}

/** Seeds PATIENTS Patients and one large one straight into the SQLite file the gateway will serve. */
async function seed(file: string): Promise<void> {
  const store = await openSqliteStore(file, loadMigrations());
  const now = new Date().toISOString();
  for (let i = 0; i < PATIENTS; i += 500) {
    const writes = [];
    for (let k = i; k < Math.min(PATIENTS, i + 500); k++)
      writes.push(prepareWrite("Patient", `p-${k}`, 1, now, benchPatient(k)));
    await store.commit({ resources: writes });
  }
  await store.commit({ resources: [prepareWrite("Patient", "large", 1, now, largePatient(LARGE_BYTES))] });
  await store.close();
}

/** Runs the CLI ingest of an NDTMS file of INGEST_ROWS rows into `dataDir`; resolves with its elapsed seconds and exit code. */
function ingestBeside(dataDir: string, file: string): { done: Promise<{ seconds: number; code: number | null }> } {
  const started = performance.now();
  const child = spawn(process.execPath, ndtmsIngestArgs(file, ["--quiet"]), {
    env: { ...process.env, TFG_DATA_DIR: dataDir },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return {
    done: new Promise((resolve) =>
      child.once("exit", (code) => resolve({ seconds: (performance.now() - started) / 1000, code })),
    ),
  };
}

const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : "–");

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tfg-load-"));
  const dataDir = join(dir, "data");
  const rows: Row[] = [];
  try {
    await ensureDevKey(dataDir);
    await seed(join(dataDir, "tfg.sqlite"));
    const token = await mintDevToken(dataDir, {
      sub: "bench-practitioner",
      org: "RX4",
      org_type: "mh-trust",
      role: "practitioner",
      purpose_of_use: "direct-care",
    });

    const hello = await startServer("bench/load-hello.ts", [], {});
    rows.push(await scenario("hello-world Hono route, own process (baseline)", hello, () => "/hello"));
    await stop(hello);

    const gateway = await startServer("src/runtime/node.ts", ["--dev-issuer"], { TFG_DATA_DIR: dataDir });
    try {
      const id = (i: number) => `p-${(i * 7919) % PATIENTS}`;
      rows.push(await scenario("gateway GET /healthz (no token)", gateway, () => "/healthz"));
      rows.push(
        await scenario("gateway read GET /fhir/Patient/:id", gateway, (i) => `/fhir/Patient/${id(i)}`, { token }),
      );
      rows.push(
        await scenario(
          "gateway search GET /fhir/Patient?identifier=",
          gateway,
          (i) => `/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${9990000000 + ((i * 7919) % PATIENTS)}`,
          { token },
        ),
      );
      rows.push(
        await scenario(
          `gateway read of one ${(LARGE_BYTES / 1e6).toFixed(0)} MB Patient`,
          gateway,
          () => "/fhir/Patient/large",
          { token, connections: 20 },
        ),
      );
      const file = join(dir, "ingest.csv");
      writeFileSync(file, ndtmsCsv(INGEST_ROWS));
      const ingest = ingestBeside(dataDir, file);
      let finished: { seconds: number; code: number | null } | undefined;
      ingest.done.then((r) => {
        finished = r;
      });
      rows.push(
        await scenario(
          `gateway read GET /fhir/Patient/:id while the CLI ingests ${INGEST_ROWS.toLocaleString("en-GB")} NDTMS rows into the same file`,
          gateway,
          (i) => `/fhir/Patient/${id(i)}`,
          {
            token,
            note: () =>
              finished
                ? `ingest finished in ${finished.seconds.toFixed(0)} s (exit ${finished.code})`
                : `ingest still running after ${SECONDS} s`,
          },
        ),
      );
      const { seconds, code } = await ingest.done;
      const last = rows.at(-1);
      if (last?.note?.includes("still running"))
        last.note += `; it finished after ${seconds.toFixed(0)} s (exit ${code})`;
    } finally {
      await stop(gateway);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const base = rows[0] as Row;
  const out = [
    `\n## ${new Date().toISOString().slice(0, 10)} — load over real sockets (\`npm run bench:load\`, autocannon, ${SECONDS} s per row)\n`,
    `Machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, Node ${process.version}; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(
        " ",
      )}. Gateway: \`src/runtime/node.ts\` on a SQLite file holding ${PATIENTS.toLocaleString("en-GB")} Patients and one large one, request log on (info), one cached token; client and server share the machine.\n`,
    "| scenario | connections | req/s | ratio to baseline | p50 ms | p99 ms | max ms | errors | non-2xx | server RSS MB before / peak / after |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.name}${r.note ? ` (${r.note})` : ""} | ${r.connections} | ${fmt(r.rps)} | ${fmt(r.rps / base.rps, 3)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.errors} | ${r.non2xx} | ${fmt(r.rss.before)} / ${fmt(r.rss.peak)} / ${fmt(r.rss.after)} |`,
    ),
  ];
  console.log(out.join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
