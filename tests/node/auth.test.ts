// Authentication: every bad token is a 401 with WWW-Authenticate; JWKS fetched over HTTP (msw) and inline keys both work.
import { base64url, exportJWK, generateKeyPair, SignJWT } from "jose";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";
import { createTestIssuer, PRACTITIONER, type TestIssuer } from "../support/tokens.js";

const JWKS_URL = "https://login.trust.test.invalid/.well-known/jwks.json";
let remote: TestIssuer;
let jwksRequests = 0;
const server = setupServer(
  http.get(JWKS_URL, () => {
    jwksRequests++;
    return HttpResponse.json({ keys: [remote.publicJwk] });
  }),
);
let t: TestApp;

beforeAll(async () => {
  remote = await createTestIssuer("https://login.trust.test.invalid", "tfg-prod");
  server.listen({ onUnhandledRequest: "error" });
  t = await createTestApp(
    await openSqliteStore(":memory:", loadMigrations()),
    {},
    {
      issuers: [{ issuer: remote.issuer, audience: "tfg-prod", jwksUrl: JWKS_URL }],
    },
  );
});
afterAll(() => server.close());

const get = (token?: string, headers: Record<string, string> = {}) =>
  t.app.request("http://gw.test/fhir/Patient", {
    headers: { ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}), ...headers },
  });

async function expect401(res: Response, reason: RegExp) {
  expect(res.status).toBe(401);
  expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="think-family-gateway"/);
  const body = (await res.json()) as { resourceType: string; issue: { code: string; diagnostics: string }[] };
  expect(body.resourceType).toBe("OperationOutcome");
  expect(body.issue[0]?.code).toBe("login");
  expect(body.issue[0]?.diagnostics).toMatch(reason);
}

describe("accepted tokens", () => {
  it("accepts a token from the inline-JWKS issuer", async () => {
    expect((await get(t.token)).status).toBe(200);
  });

  it("accepts a token whose key comes from a JWKS URL, and caches the key set", async () => {
    const before = jwksRequests;
    expect((await get(await remote.sign())).status).toBe(200);
    expect((await get(await remote.sign())).status).toBe(200);
    expect(jwksRequests - before).toBeLessThanOrEqual(1);
  });

  it("lets the X-Purpose-Of-Use header choose among the purposes the token permits", async () => {
    const { purpose_of_use: _p, ...rest } = PRACTITIONER;
    const token = await t.issuer.sign({ ...rest, purposes: ["direct-care", "safeguarding-s47"] });
    expect((await get(token, { "X-Purpose-Of-Use": "safeguarding-s47" })).status).toBe(200);
    expect((await get(token, { "X-Purpose-Of-Use": "statistics" })).status).toBe(403);
    expect((await get(token)).status).toBe(403);
    expect((await get(t.token, { "X-Purpose-Of-Use": "break-glass" })).status).toBe(403);
  });
});

describe("rejected tokens get 401", () => {
  it("a token that expires after it was first accepted (the verified-token cache honours exp)", async () => {
    const token = await t.issuer.sign(PRACTITIONER, { expiresIn: "2m" });
    expect((await get(token)).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 10 * 60_000);
      await expect401(await get(token), /expired/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("no token", async () => {
    await expect401(await get(), /bearer token is required/);
  });

  it("a malformed Authorization header or token", async () => {
    await expect401(
      await t.app.request("http://gw.test/fhir/Patient", { headers: { Authorization: "Basic abc" } }),
      /bearer token/,
    );
    await expect401(await get("not.a.jwt"), /malformed/);
  });

  it("an expired token", async () => {
    await expect401(
      await get(await t.issuer.sign(PRACTITIONER, { expiresIn: Math.floor(Date.now() / 1000) - 3600 })),
      /expired/,
    );
  });

  it("a token not yet valid (nbf beyond the allowed skew)", async () => {
    await expect401(await get(await t.issuer.sign(PRACTITIONER, { notBefore: "1h" })), /nbf/);
  });

  it("the wrong audience", async () => {
    await expect401(await get(await t.issuer.sign(PRACTITIONER, { audience: "someone-else" })), /aud/);
  });

  it("an unknown issuer", async () => {
    const stranger = await createTestIssuer("https://stranger.test.invalid");
    await expect401(await get(await stranger.sign()), /issuer is not trusted/);
  });

  it("a trusted issuer's name on a token signed by another key", async () => {
    const impostor = await createTestIssuer(t.issuer.issuer);
    await expect401(await get(await impostor.sign()), /No trusted key|signature/);
  });

  it("alg: none", async () => {
    const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
    const now = Math.floor(Date.now() / 1000);
    const token = `${enc({ alg: "none", typ: "JWT" })}.${enc({ ...PRACTITIONER, iss: t.issuer.issuer, aud: t.issuer.audience, exp: now + 600 })}.`;
    await expect401(await get(token), /Unsigned|malformed/);
  });

  it("HS256 signed with the issuer's public key (algorithm confusion)", async () => {
    const publicKeyBytes = new TextEncoder().encode(JSON.stringify(t.issuer.publicJwk));
    const token = await new SignJWT({ ...PRACTITIONER })
      .setProtectedHeader({ alg: "HS256", kid: t.issuer.publicJwk.kid as string })
      .setIssuer(t.issuer.issuer)
      .setAudience(t.issuer.audience)
      .setSubject(PRACTITIONER.sub)
      .setExpirationTime("10m")
      .sign(publicKeyBytes);
    await expect401(await get(token), /algorithm is not allowed/);
  });

  it("a signed token with missing or unknown actor claims", async () => {
    await expect401(
      await get(await t.issuer.sign({ sub: "x", org: "RX4", role: "practitioner", purpose_of_use: "direct-care" })),
      /org_type/,
    );
    await expect401(await get(await t.issuer.sign({ ...PRACTITIONER, role: "superuser" })), /role/);
  });

  it("an RS256 token from an issuer pinned to ES256", async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "rsa-1" };
    const pinned = await createTestApp(
      await openSqliteStore(":memory:", loadMigrations()),
      {},
      {
        issuers: [
          { issuer: "https://pinned.test.invalid", audience: "a", jwks: { keys: [jwk] }, algorithms: ["ES256"] },
        ],
      },
    );
    const token = await new SignJWT({ ...PRACTITIONER })
      .setProtectedHeader({ alg: "RS256", kid: "rsa-1" })
      .setIssuer("https://pinned.test.invalid")
      .setAudience("a")
      .setSubject("x")
      .setExpirationTime("10m")
      .sign(privateKey);
    const res = await pinned.app.request("http://gw.test/fhir/Patient", {
      headers: { Authorization: `Bearer ${token}` },
    });
    await expect401(res, /algorithm is not allowed/);
  });
});
