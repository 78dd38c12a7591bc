/**
 * `npx tsx bench/peer-breakdown.ts`: where the gateway's time goes in the Medplum side by side (bench/side-by-side.ts).
 * One process, alternating chunks, CPU µs per request of: the shared Hono front alone (a handler that echoes
 * the body), the gateway, the gateway over the same store with one part made free (diagnostics, not peers: the
 * store's read answered from memory with the same stored JSON, or its commit skipped), and Medplum's router.
 * The difference between the gateway and a diagnostic row is what that store call costs inside a request.
 */
import type { Resource } from "@medplum/fhirtypes";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { buildApp } from "../src/app.js";
import { createTokenVerifier } from "../src/auth/token-verifier.js";
import { parseConfig } from "../src/config.js";
import { prepareWrite } from "../src/fhir/resource-service.js";
import { authenticate } from "../src/http/authenticate.js";
import type { AppEnv } from "../src/http/context.js";
import { requestLog } from "../src/http/request-log.js";
import { silentLogger } from "../src/log/logger.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import type { Store, StoredVersion } from "../src/store/port.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { createTestIssuer } from "../tests/support/tokens.js";
import { medplumApp } from "./medplum-peer.js";
import { benchPatient } from "./side-by-side.js";

const N = 1000;
const SECONDS = Number(process.env.BENCH_TIME_MS ?? 12_000) / 1000;
const CHUNK = 20;

/** `store` with one method replaced. */
function replacing<K extends keyof Store>(store: Store, key: K, fn: Store[K]): Store {
  return new Proxy(store, {
    get(target, k) {
      if (k === key) return fn;
      const v = (target as unknown as Record<string | symbol, unknown>)[k];
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

const patients = Array.from({ length: N }, (_, i) => benchPatient(i));
const store = await openSqliteStore(":memory:", loadMigrations());
const now = new Date().toISOString();
await store.commit({ resources: patients.map((p) => prepareWrite("Patient", p.id, 1, now, p)) });
const held = new Map<string, StoredVersion>();
for (const p of patients) {
  const v = (await store.read("Patient", p.id)) as StoredVersion;
  held.set(p.id, { ...v, json: v.json as string });
}
const issuer = await createTestIssuer();
const config = parseConfig({ TFG_ALLOWED_HOSTS: "peer.test" });
config.issuers.push({ issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: [issuer.publicJwk] } });
const verifyToken = createTokenVerifier(config);
const front = (app: Hono<AppEnv>) => {
  app.use("*", requestLog(silentLogger));
  app.use("/fhir/*", bodyLimit({ maxSize: config.bodyLimitBytes }));
  app.use("/fhir/*", authenticate(verifyToken));
};
const gatewayOver = (s: Store) => buildApp({ store: s, logger: silentLogger, config, verifyToken });
const echo = new Hono<AppEnv>();
front(echo);
echo.all("/fhir/*", async (c) => {
  const text = c.req.method === "GET" ? JSON.stringify(patients[0]) : await c.req.text();
  return new Response(JSON.stringify(JSON.parse(text)), {
    status: c.req.method === "POST" ? 201 : 200,
    headers: { "Content-Type": "application/fhir+json; charset=utf-8" },
  });
});
const apps: Record<string, Hono<AppEnv>> = {
  "front only (echo)": echo,
  gateway: gatewayOver(store),
  "gateway, Store.read from memory (diagnostic)": gatewayOver(
    replacing(store, "read", async (_type: string, id: string) => held.get(id)),
  ),
  "gateway, Store.commit skipped (diagnostic)": gatewayOver(replacing(store, "commit", async () => {})),
  "Medplum router": await medplumApp<AppEnv>(patients as Resource[], front),
};
const authorization = `Bearer ${await issuer.sign()}`;
const json = { Authorization: authorization, "Content-Type": "application/fhir+json" };
let n = 0;
const request = (app: Hono<AppEnv>, mode: string) => async () => {
  let r: Response;
  if (mode === "read") r = await app.request(`http://peer.test/fhir/Patient/p-${n++ % N}`, { headers: json });
  else if (mode === "create") {
    const { id: _, ...p } = benchPatient(1_000_000 + n++);
    r = await app.request("http://peer.test/fhir/Patient", { method: "POST", headers: json, body: JSON.stringify(p) });
  } else {
    const p = benchPatient(n++ % N);
    const body = JSON.stringify({ ...p, birthDate: `19${10 + (n % 80)}-01-01` });
    r = await app.request(`http://peer.test/fhir/Patient/${p.id}`, { method: "PUT", headers: json, body });
  }
  if (r.status >= 300) throw new Error(`${mode}: ${r.status}`);
  await r.arrayBuffer();
};

const rows = ["| interaction | participant | CPU µs per request |", "|---|---|---:|"];
for (const [mode, names] of [
  ["read", ["front only (echo)", "gateway", "gateway, Store.read from memory (diagnostic)", "Medplum router"]],
  ["create", ["front only (echo)", "gateway", "gateway, Store.commit skipped (diagnostic)", "Medplum router"]],
  ["update", ["front only (echo)", "gateway", "gateway, Store.commit skipped (diagnostic)", "Medplum router"]],
] as const) {
  const tasks = names.map((name) => request(apps[name] as Hono<AppEnv>, mode));
  for (const t of tasks) for (let i = 0; i < 300; i++) await t();
  const cpu = tasks.map(() => 0);
  let runs = 0;
  for (const end = performance.now() + SECONDS * 1000; performance.now() < end; runs += CHUNK) {
    for (const [k, t] of tasks.entries()) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < CHUNK; i++) await t();
      const c = process.cpuUsage(c0);
      cpu[k] = (cpu[k] as number) + c.user + c.system;
    }
  }
  names.forEach((name, k) => {
    rows.push(`| ${mode} | ${name} | ${((cpu[k] as number) / runs).toFixed(0)} |`);
  });
}
await store.close();
console.log(rows.join("\n"));
