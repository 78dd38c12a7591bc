/**
 * `npx tsx bench/before-after.ts BEFORE_TREE [AFTER_TREE]`: the gateway built from two source trees (e.g. a
 * worktree of main and this branch; AFTER defaults to this tree) in one process, each over its own in-memory
 * SQLite store with the same 1,000 Patients, beside Medplum's router (bench/medplum-peer.ts), behind the same
 * Hono front. Each tree is bundled with esbuild from the same subject text (below), so only its `src/` differs.
 * Per interaction (read, create, update, and the store's part alone: Store.read, commit of a create, of an
 * update), the three alternate in chunks of 20 for BENCH_TIME_MS each; prints CPU µs per request and ratios.
 */
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Resource } from "@medplum/fhirtypes";
import { build } from "esbuild";
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { authenticate } from "../src/http/authenticate.js";
import type { AppEnv } from "../src/http/context.js";
import { requestLog } from "../src/http/request-log.js";
import { silentLogger } from "../src/log/logger.js";
import { medplumApp } from "./medplum-peer.js";
import { benchPatient } from "./side-by-side.js";

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 6000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CHUNK = 20;
const N = 1000;

/** The subject, resolved against each tree: its gateway and store, and one function per interaction. */
const SUBJECT = `
import { buildApp } from "./src/app.js";
import { createTokenVerifier } from "./src/auth/token-verifier.js";
import { parseConfig } from "./src/config.js";
import { prepareWrite } from "./src/fhir/resource-service.js";
import { silentLogger } from "./src/log/logger.js";
import { loadMigrations } from "./src/runtime/migration-files.js";
import { openSqliteStore } from "./src/store/sqlite/index.js";
export async function subject(root, patients, issuer) {
  const store = await openSqliteStore(":memory:", loadMigrations(root + "/migrations"));
  const now = new Date().toISOString();
  await store.commit({ resources: patients.map((p) => prepareWrite("Patient", p.id, 1, now, p)) });
  const config = parseConfig({ TFG_ALLOWED_HOSTS: "peer.test" });
  config.issuers.push({ issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: [issuer.publicJwk] } });
  const verifyToken = createTokenVerifier(config);
  const app = buildApp({ store, logger: silentLogger, config, verifyToken });
  return { app, store, prepareWrite, verifyToken, config };
}
`;

async function load(root: string) {
  const out = join(resolve(root), "dist", "before-after", `subject-${process.pid}.mjs`);
  await build({
    stdin: { contents: SUBJECT, resolveDir: resolve(root), loader: "js" },
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outfile: out,
    logLevel: "error",
  });
  return (await import(pathToFileURL(out).href)) as {
    subject: (root: string, patients: unknown[], issuer: unknown) => Promise<Subject>;
  };
}

interface Subject {
  app: Hono<AppEnv>;
  // biome-ignore lint/suspicious/noExplicitAny: the store of either tree.
  store: any;
  // biome-ignore lint/suspicious/noExplicitAny: prepareWrite of either tree.
  prepareWrite: (...args: any[]) => any;
}

const [beforeRoot, afterRoot = "."] = process.argv.slice(2);
if (!beforeRoot) throw new Error("usage: npx tsx bench/before-after.ts BEFORE_TREE [AFTER_TREE]");
const { createTestIssuer } = await import("../tests/support/tokens.js");
const issuer = await createTestIssuer();
const patients = Array.from({ length: N }, (_, i) => benchPatient(i));
const before = await (await load(beforeRoot)).subject(resolve(beforeRoot), patients, issuer);
const after = await (await load(afterRoot)).subject(resolve(afterRoot), patients, issuer);
const { createTokenVerifier } = await import("../src/auth/token-verifier.js");
const { parseConfig } = await import("../src/config.js");
const config = parseConfig({ TFG_ALLOWED_HOSTS: "peer.test" });
config.issuers.push({ issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: [issuer.publicJwk] } });
const verifyToken = createTokenVerifier(config);
const medplum = await medplumApp<AppEnv>(patients as Resource[], (app) => {
  app.use("*", requestLog(silentLogger));
  app.use("/fhir/*", bodyLimit({ maxSize: config.bodyLimitBytes }));
  app.use("/fhir/*", authenticate(verifyToken));
});
const headers = { Authorization: `Bearer ${await issuer.sign()}`, "Content-Type": "application/fhir+json" };
let n = 0;

/** One request of `mode` to `app`. */
const request = (app: Hono<AppEnv>, mode: string) => async () => {
  let r: Response;
  if (mode === "read") r = await app.request(`http://peer.test/fhir/Patient/p-${n++ % N}`, { headers });
  else if (mode === "create") {
    const { id: _, ...p } = benchPatient(1_000_000 + n++);
    r = await app.request("http://peer.test/fhir/Patient", { method: "POST", headers, body: JSON.stringify(p) });
  } else {
    const p = benchPatient(n++ % N);
    const body = JSON.stringify({ ...p, birthDate: `19${10 + (n % 80)}-01-01` });
    r = await app.request(`http://peer.test/fhir/Patient/${p.id}`, { method: "PUT", headers, body });
  }
  if (r.status >= 300) throw new Error(`${mode}: ${r.status}`);
  await r.arrayBuffer();
};
/** The store's part of `mode` for one subject, as bench/side-by-side.ts times it. */
const storePart = (s: Subject, mode: string) => async () => {
  if (mode === "read") {
    const v = await s.store.read("Patient", `p-${n++ % N}`);
    if (v?.json === undefined) throw new Error("no stored JSON");
    return;
  }
  const p = benchPatient(mode === "create" ? 1_000_000 + n++ : n++ % N);
  const current = mode === "update" ? await s.store.read("Patient", p.id) : undefined;
  const body = mode === "update" ? { ...p, birthDate: `19${10 + (n % 80)}-01-01` } : p;
  const id = mode === "update" ? p.id : crypto.randomUUID();
  const w = s.prepareWrite("Patient", id, (current?.versionId ?? 0) + 1, new Date().toISOString(), body);
  w.json = JSON.stringify(w.resource);
  await s.store.commit({ resources: [w] });
};

/** CPU µs per run of each task, alternating chunks. */
async function alternate(tasks: (() => Promise<void>)[]): Promise<number[]> {
  for (const t of tasks) for (let i = 0; i < 200; i++) await t();
  const cpu = tasks.map(() => 0);
  let runs = 0;
  for (const end = performance.now() + tasks.length * TIME_MS; performance.now() < end; runs += CHUNK) {
    for (const [k, t] of tasks.entries()) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < CHUNK; i++) await t();
      const c = process.cpuUsage(c0);
      cpu[k] = (cpu[k] as number) + c.user + c.system;
    }
  }
  return cpu.map((c) => c / runs);
}

console.log(
  `${new Date().toISOString()} — ${cpus()[0]?.model ?? "CPU"}, ${cpus().length} cores, Node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}; before ${beforeRoot}, after ${afterRoot}; ${ROUNDS} rounds of ${TIME_MS} ms per participant`,
);
console.log(
  "| round | interaction | before CPU µs | after CPU µs | Medplum CPU µs | before ÷ Medplum | after ÷ Medplum | after ÷ before |",
);
console.log("|---|---|---:|---:|---:|---:|---:|---:|");
for (let round = 1; round <= ROUNDS; round++) {
  for (const mode of ["read", "create", "update"]) {
    const [b, a, m] = (await alternate([
      request(before.app, mode),
      request(after.app, mode),
      request(medplum, mode),
    ])) as [number, number, number];
    console.log(
      `| ${round} | ${mode} | ${b.toFixed(0)} | ${a.toFixed(0)} | ${m.toFixed(0)} | ${(m / b).toFixed(2)} | ${(m / a).toFixed(2)} | ${(b / a).toFixed(2)}× |`,
    );
    const [sb, sa] = (await alternate([storePart(before, mode), storePart(after, mode)])) as [number, number];
    console.log(
      `| ${round} | ${mode}: store's part | ${sb.toFixed(0)} | ${sa.toFixed(0)} | | | | ${(sb / sa).toFixed(2)}× |`,
    );
  }
}
console.log(
  `load at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
await before.store.close();
await after.store.close();
