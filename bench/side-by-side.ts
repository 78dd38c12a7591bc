/**
 * `npm run bench:peer`: the gateway against Medplum's in-process FHIR router (bench/medplum-peer.ts),
 * in this process on the same 1,000 Patients: read, create, update, identifier search. Both sit behind
 * the same Hono front (the gateway's request log, body limit and bearer-token check, one token).
 * Each interaction runs alone (its own warm-up, then a timed loop in which the two peers alternate
 * in chunks of CHUNK requests, so both see the same load from anything else on the machine), for
 * several rounds; a row shows the median of runs ÷ elapsed time, and of CPU time per request (this
 * process's user + system time, which other work on a shared machine disturbs less than the wall clock).
 * For read, create and update, the store's own part of the gateway's request (`Store.read`, `Store.commit`
 * of the same writes, alternating in the same loop) is timed too. Prints Markdown for docs/BENCHMARKS.md.
 */
import { cpus } from "node:os";
import type { Resource } from "@medplum/fhirtypes";
import type { Hono } from "hono";
import { Hono as HonoApp } from "hono";
import { bodyLimit } from "hono/body-limit";
import { buildApp } from "../src/app.js";
import { RECORD_OWNER_SYSTEM } from "../src/auth/ownership.js";
import { createTokenVerifier } from "../src/auth/token-verifier.js";
import { parseConfig } from "../src/config.js";
import { prepareWrite } from "../src/fhir/resource-service.js";
import { authenticate } from "../src/http/authenticate.js";
import type { AppEnv } from "../src/http/context.js";
import { requestLog } from "../src/http/request-log.js";
import { silentLogger } from "../src/log/logger.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { createTestIssuer } from "../tests/support/tokens.js";
import { medplumApp } from "./medplum-peer.js";

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 1500);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const N = 1000;

/** The organisation of the bench's caller (tests/support/tokens.ts PRACTITIONER): it owns the bench's Patients. */
const BENCH_OWNER = "RX4";

/**
 * The same synthetic Patient as bench/run.ts, numbered i (test-range NHS number), owned by the caller's organisation
 * so the sharing protocol's recording-organisation rule lets the caller read it (an unowned record is hidden: 404).
 */
export function benchPatient(i: number) {
  return {
    resourceType: "Patient" as const,
    id: `p-${i}`,
    meta: { tag: [{ system: RECORD_OWNER_SYSTEM, code: BENCH_OWNER }] },
    identifier: [{ system: "https://fhir.nhs.uk/Id/nhs-number", value: String(9990000000 + i) }],
    gender: i % 2 ? ("female" as const) : ("male" as const),
    birthDate: "1985-04-02",
    address: [
      {
        postalCode: "ZZ99 9ZZ",
        extension: [
          { url: "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey", valueString: `UPRN-${i}` },
        ],
      },
    ],
  };
}

const CHUNK = 20;

/** Runs `fn` for WARMUP_MS, then counts runs for TIME_MS: returns runs ÷ seconds. */
async function opsPerSecond(fn: () => Promise<void>): Promise<number> {
  const until = (ms: number) => performance.now() + ms;
  for (const end = until(WARMUP_MS); performance.now() < end; ) await fn();
  let runs = 0;
  const start = performance.now();
  const end = start + TIME_MS;
  while (performance.now() < end) {
    await fn();
    runs++;
  }
  return runs / ((performance.now() - start) / 1000);
}

/** Wall-clock and CPU microseconds per run of one participant in an alternating loop. */
interface Timing {
  wallUs: number;
  cpuUs: number;
}

/**
 * Warms every task up, then alternates CHUNK runs of each for `fns.length` × TIME_MS: returns each one's
 * wall-clock and CPU time per run (CPU: `process.cpuUsage`, the whole process, measured around each chunk).
 */
async function alternate(fns: (() => Promise<void>)[]): Promise<Timing[]> {
  for (const end = performance.now() + WARMUP_MS; performance.now() < end; ) for (const fn of fns) await fn();
  const wall = fns.map(() => 0);
  const cpu = fns.map(() => 0);
  let runs = 0;
  const end = performance.now() + fns.length * TIME_MS;
  while (performance.now() < end) {
    for (const [k, fn] of fns.entries()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < CHUNK; i++) await fn();
      const c = process.cpuUsage(c0);
      wall[k] = (wall[k] as number) + (performance.now() - t0) * 1000;
      cpu[k] = (cpu[k] as number) + c.user + c.system;
    }
    runs += CHUNK;
  }
  return fns.map((_, k) => ({ wallUs: (wall[k] as number) / runs, cpuUs: (cpu[k] as number) / runs }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function ok(res: Response | Promise<Response>, status: number) {
  const r = await res;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${(await r.text()).slice(0, 300)}`);
  await r.arrayBuffer();
}

/** Measures both peers; returns Markdown rows. */
export async function sideBySide(): Promise<string> {
  const patients = Array.from({ length: N }, (_, i) => benchPatient(i));
  const store = await openSqliteStore(":memory:", loadMigrations());
  const now = new Date().toISOString();
  await store.commit({ resources: patients.map((p) => prepareWrite("Patient", p.id, 1, now, p)) });
  const issuer = await createTestIssuer();
  const config = parseConfig({ TFG_ALLOWED_HOSTS: "peer.test" });
  config.issuers.push({ issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: [issuer.publicJwk] } });
  const verifyToken = createTokenVerifier(config);
  const gateway = buildApp({ store, logger: silentLogger, config, verifyToken });
  const mp: Hono<AppEnv> = await medplumApp<AppEnv>(patients as Resource[], (app) => {
    app.use("*", requestLog(silentLogger));
    app.use("/fhir/*", bodyLimit({ maxSize: config.bodyLimitBytes }));
    app.use("/fhir/*", authenticate(verifyToken));
  });
  const authorization = `Bearer ${await issuer.sign()}`;
  const request =
    (app: Hono<AppEnv>) =>
    (path: string, init: RequestInit = {}) =>
      app.request(`http://peer.test${path}`, {
        ...init,
        headers: { Authorization: authorization, ...(init.headers as Record<string, string>) },
      });
  const gw = { fhir: request(gateway) };
  const mpReq = request(mp);
  const hello = new HonoApp().get("/hello", (c) => c.json({ hello: "world" }));

  const json = { "Content-Type": "application/fhir+json" };
  let n = 0;
  const fresh = () => {
    const { id: _, ...p } = benchPatient(1_000_000 + n++);
    return JSON.stringify(p);
  };
  const updated = () => {
    const p = benchPatient(n++ % N);
    return JSON.stringify({ ...p, birthDate: `19${10 + (n % 80)}-01-01` });
  };
  /** The store's part of a gateway write: the write the service prepares, committed (index extraction included). */
  const commitFresh = async () => {
    const { id: _, ...p } = benchPatient(1_000_000 + n++);
    const w = prepareWrite("Patient", crypto.randomUUID(), 1, new Date().toISOString(), p);
    w.json = JSON.stringify(w.resource);
    await store.commit({ resources: [w] });
  };
  const commitUpdate = async () => {
    const p = benchPatient(n++ % N);
    const current = await store.read("Patient", p.id);
    const w = prepareWrite("Patient", p.id, (current?.versionId ?? 0) + 1, new Date().toISOString(), {
      ...p,
      birthDate: `19${10 + (n % 80)}-01-01`,
    });
    w.json = JSON.stringify(w.resource);
    await store.commit({ resources: [w] });
  };
  const readStored = async () => {
    const v = await store.read("Patient", `p-${n++ % N}`);
    if (v?.json === undefined) throw new Error("no stored JSON");
  };
  /** [interaction, gateway, Medplum, the store's part of the gateway's request (none for search)]. */
  const tasks: [string, () => Promise<void>, () => Promise<void>, (() => Promise<void>)?][] = [
    [
      "read GET /Patient/:id",
      () => ok(gw.fhir(`/fhir/Patient/p-${n++ % N}`), 200),
      () => ok(mpReq(`/fhir/Patient/p-${n++ % N}`), 200),
      readStored,
    ],
    [
      "create POST /Patient",
      () => ok(gw.fhir("/fhir/Patient", { method: "POST", headers: json, body: fresh() }), 201),
      () => ok(mpReq("/fhir/Patient", { method: "POST", headers: json, body: fresh() }), 201),
      commitFresh,
    ],
    [
      "update PUT /Patient/:id",
      async () => {
        const body = updated();
        await ok(gw.fhir(`/fhir/Patient/${JSON.parse(body).id}`, { method: "PUT", headers: json, body }), 200);
      },
      async () => {
        const body = updated();
        await ok(mpReq(`/fhir/Patient/${JSON.parse(body).id}`, { method: "PUT", headers: json, body }), 200);
      },
      commitUpdate,
    ],
    [
      "search GET /Patient?identifier=",
      () => ok(gw.fhir(`/fhir/Patient?identifier=${9990000000 + (n++ % N)}`), 200),
      () => ok(mpReq(`/fhir/Patient?identifier=${9990000000 + (n++ % N)}`), 200),
    ],
  ];
  const results = new Map<string, { base: number[]; gw: Timing[]; mp: Timing[]; store: Timing[] }>();
  for (let round = 0; round < ROUNDS; round++) {
    const base = await opsPerSecond(async () => {
      await (await hello.request("http://x/hello")).arrayBuffer();
    });
    for (const [name, gwTask, mpTask, storeTask] of tasks) {
      const r = results.get(name) ?? { base: [], gw: [], mp: [], store: [] };
      r.base.push(base);
      const [g, m, st] = await alternate(storeTask ? [gwTask, mpTask, storeTask] : [gwTask, mpTask]);
      r.gw.push(g as Timing);
      r.mp.push(m as Timing);
      if (st) r.store.push(st);
      results.set(name, r);
    }
  }
  await store.close();
  const rows = [
    `\n### Side by side with Medplum's FHIR router (in process, Hono front, ${N} Patients; median of ${ROUNDS} rounds)\n`,
    "| interaction | gateway req/s | Medplum router req/s | gateway ÷ Medplum | gateway µs | Medplum µs | gateway CPU µs | Medplum CPU µs | ÷ by CPU | store's part, CPU µs |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [name, r] of results) {
    const g = median(r.gw.map((t) => 1e6 / t.wallUs));
    const m = median(r.mp.map((t) => 1e6 / t.wallUs));
    const gc = median(r.gw.map((t) => t.cpuUs));
    const mc = median(r.mp.map((t) => t.cpuUs));
    const sc = r.store.length > 0 ? median(r.store.map((t) => t.cpuUs)).toFixed(0) : "–";
    rows.push(
      `| ${name} | ${g.toFixed(0)} | ${m.toFixed(0)} | ${(g / m).toFixed(2)} | ${(1e6 / g).toFixed(0)} | ${(1e6 / m).toFixed(0)} | ${gc.toFixed(0)} | ${mc.toFixed(0)} | ${(mc / gc).toFixed(2)} | ${sc} |`,
    );
  }
  const base = median([...results.values()].flatMap((r) => r.base));
  rows.push(
    "",
    `Hello-world Hono route in the same run: ${base.toFixed(0)} req/s (${(1e6 / base).toFixed(1)} µs). The store's part: ` +
      "`Store.read` and its JSON (read), or `prepareWrite` + `Store.commit` of the same kind of write (create, update), " +
      "timed alone in the same alternating loop; the gateway's request includes it.",
  );
  return rows.join("\n");
}

if (process.argv[1]?.endsWith("side-by-side.ts")) {
  console.log(
    `${new Date().toISOString().slice(0, 10)} — ${cpus()[0]?.model ?? "CPU"}, ${cpus().length} cores, Node ${process.version}`,
  );
  console.log(await sideBySide());
}
