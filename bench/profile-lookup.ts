/**
 * `npx tsx bench/profile-lookup.ts [N]`: the `$household-check` of bench/lookup.ts in process (`app.request`, no
 * sockets) over an in-memory SQLite store holding the same synthetic population: CPU µs per lookup, one at a time
 * and BENCH_CONCURRENCY at a time (default 32: group commits of the audit), and with PROFILE_OUT=FILE.cpuprofile a V8
 * CPU profile of the sequential loop (`npx tsx bench/profile-summary.ts FILE --per=N` sums it per function).
 */

import { buildApp } from "../src/app.js";
import { createTokenVerifier } from "../src/auth/token-verifier.js";
import { parseConfig } from "../src/config.js";
import { silentLogger } from "../src/log/logger.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { createTestIssuer } from "../tests/support/tokens.js";
import { startProfile } from "./cpu-profile.js";
import { pickCase, seed } from "./lookup-seed.js";

const N = Number(process.argv[2] ?? 300);
const HOUSEHOLDS = Number(process.env.BENCH_LOOKUP_HOUSEHOLDS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const store = await openSqliteStore(":memory:", loadMigrations());
await seed(store, HOUSEHOLDS);
const { nhs, la } = await pickCase(store);
const issuer = await createTestIssuer();
const config = parseConfig({ TFG_ALLOWED_HOSTS: "peer.test" });
config.issuers.push({ issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: [issuer.publicJwk] } });
const app = buildApp({ store, logger: silentLogger, config, verifyToken: createTokenVerifier(config) });
const token = await issuer.sign({
  sub: "bench-social-worker",
  org: la,
  org_type: "la-childrens-services",
  role: "practitioner",
  purpose_of_use: "safeguarding-s47",
});
const body = JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "nhsNumber", valueString: nhs }] });
const once = async () => {
  const r = await app.request("http://peer.test/fhir/Patient/$household-check", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json" },
    body,
  });
  if (r.status !== 200) throw new Error(`lookup: ${r.status} ${await r.text()}`);
  return (await r.json()) as { parameter?: unknown[] };
};
console.error(`probe: ${(await once()).parameter?.length ?? 0} parameter(s)`);
for (let i = 0; i < 50; i++) await once();
const stopProfile = await startProfile(100);
let c0 = process.cpuUsage();
let t0 = performance.now();
for (let i = 0; i < N; i++) await once();
let c = process.cpuUsage(c0);
await stopProfile();
console.log(
  `one at a time: ${N} lookups, ${((c.user + c.system) / N).toFixed(0)} CPU µs, ${(((performance.now() - t0) * 1000) / N).toFixed(0)} wall µs each`,
);
c0 = process.cpuUsage();
t0 = performance.now();
for (let done = 0; done < N; done += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, once));
c = process.cpuUsage(c0);
const n = Math.ceil(N / CONCURRENCY) * CONCURRENCY;
console.log(
  `${CONCURRENCY} at a time: ${n} lookups, ${((c.user + c.system) / n).toFixed(0)} CPU µs each, ${(n / ((performance.now() - t0) / 1000)).toFixed(0)} lookups/s`,
);
await store.close();
