/**
 * `PROFILE_OUT=FILE.cpuprofile npx tsx bench/profile-peer.ts MODE`: the gateway alone serving one kind of request
 * (read, create or update, as in bench/side-by-side.ts, or the store's part alone: store-read, commit-create, commit-update) in a loop for BENCH_TIME_MS, with a V8 CPU profile of the
 * timed loop only (node:inspector) written to PROFILE_OUT; `npx tsx bench/profile-summary.ts FILE --per=N` sums
 * self time per function. Bundle it first (esbuild) for real line numbers.
 */

import { buildApp } from "../src/app.js";
import { createTokenVerifier } from "../src/auth/token-verifier.js";
import { parseConfig } from "../src/config.js";
import { prepareWrite } from "../src/fhir/resource-service.js";
import { silentLogger } from "../src/log/logger.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { createTestIssuer } from "../tests/support/tokens.js";
import { startProfile } from "./cpu-profile.js";
import { benchPatient } from "./side-by-side.js";

const N = 1000;
const mode = process.argv[2] ?? "read";
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 8000);
const patients = Array.from({ length: N }, (_, i) => benchPatient(i));
const store = await openSqliteStore(":memory:", loadMigrations());
const now = new Date().toISOString();
await store.commit({ resources: patients.map((p) => prepareWrite("Patient", p.id, 1, now, p)) });
const issuer = await createTestIssuer();
const config = parseConfig({ TFG_ALLOWED_HOSTS: "peer.test" });
config.issuers.push({ issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: [issuer.publicJwk] } });
const app = buildApp({ store, logger: silentLogger, config, verifyToken: createTokenVerifier(config) });
const headers = { Authorization: `Bearer ${await issuer.sign()}`, "Content-Type": "application/fhir+json" };
let n = 0;
/** The store's part alone (as bench/side-by-side.ts times it): `store-read`, `commit-create`, `commit-update`. */
async function storeOnce() {
  if (mode === "store-read") {
    const v = await store.read("Patient", `p-${n++ % N}`);
    if (v?.json === undefined) throw new Error("no stored JSON");
    return;
  }
  const p = benchPatient(mode === "commit-create" ? 1_000_000 + n++ : n++ % N);
  const current = mode === "commit-update" ? await store.read("Patient", p.id) : undefined;
  const body = mode === "commit-update" ? { ...p, birthDate: `19${10 + (n % 80)}-01-01` } : p;
  const id = mode === "commit-update" ? p.id : crypto.randomUUID();
  const w = prepareWrite("Patient", id, (current?.versionId ?? 0) + 1, new Date().toISOString(), body);
  w.json = JSON.stringify(w.resource);
  await store.commit({ resources: [w] });
}
async function once() {
  if (mode.includes("-")) return storeOnce();
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
  if (r.status >= 300) throw new Error(`${mode}: ${r.status} ${await r.text()}`);
  await r.arrayBuffer();
}
for (let i = 0; i < 500; i++) await once();
const stopProfile = await startProfile(100);
const c0 = process.cpuUsage();
let runs = 0;
for (const end = performance.now() + TIME_MS; performance.now() < end; runs++) await once();
const c = process.cpuUsage(c0);
await stopProfile();
console.log(`${mode}: ${runs} requests, ${((c.user + c.system) / runs).toFixed(0)} CPU µs each`);
await store.close();
