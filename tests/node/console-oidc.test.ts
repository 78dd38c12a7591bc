// The console's OpenID Connect sign-in against an in-process issuer (a small Hono app reached through the console's
// fetch): authorisation code with PKCE (S256), state and nonce; the ID token's claims become the same Actor an API
// token gives; a wrong state, a wrong code verifier, a replayed or missing flow cookie and missing claims are refused.

import { Hono } from "hono";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { auditIds, auditRowsSince, Client, type ConsoleTestApp, consoleApp } from "./console-support.js";

const ISSUER = "https://idp.console.test";
const CLIENT_ID = "tfg-console";

type Grant = { challenge: string; nonce: string; redirect: string; claims: Record<string, unknown> };
const grants = new Map<string, Grant>();
let claimsForNext: Record<string, unknown> = {};
let t: ConsoleTestApp;

const b64url = (bytes: ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/** A minimal OpenID provider: discovery, a token endpoint checking PKCE, ES256 ID tokens. */
async function provider(): Promise<Hono> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "idp-1", alg: "ES256", use: "sig" };
  const idp = new Hono();
  idp.get("/.well-known/openid-configuration", (c) =>
    c.json({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      jwks_uri: `${ISSUER}/jwks`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["ES256"],
      code_challenge_methods_supported: ["S256"],
    }),
  );
  idp.get("/jwks", (c) => c.json({ keys: [jwk] }));
  idp.post("/token", async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const grant = grants.get(form.get("code") ?? "");
    grants.delete(form.get("code") ?? "");
    const verifier = form.get("code_verifier") ?? "";
    const digest = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    if (!grant || digest !== grant.challenge || form.get("redirect_uri") !== grant.redirect)
      return c.json({ error: "invalid_grant" }, 400);
    const idToken = await new SignJWT({ ...grant.claims, nonce: grant.nonce })
      .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
      .setIssuer(ISSUER)
      .setAudience(CLIENT_ID)
      .setSubject(String(grant.claims.sub))
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    return c.json({ access_token: "at", token_type: "Bearer", expires_in: 300, id_token: idToken });
  });
  return idp;
}

/** The user agent at the issuer: it authenticates the user and redirects back with a code. */
function authorize(location: string, tamper: Partial<{ state: string }> = {}): string {
  const url = new URL(location);
  expect(url.origin + url.pathname).toBe(`${ISSUER}/authorize`);
  expect(url.searchParams.get("code_challenge_method")).toBe("S256");
  expect(url.searchParams.get("response_type")).toBe("code");
  expect(url.searchParams.get("client_id")).toBe(CLIENT_ID);
  const code = crypto.randomUUID();
  grants.set(code, {
    challenge: url.searchParams.get("code_challenge") as string,
    nonce: url.searchParams.get("nonce") as string,
    redirect: url.searchParams.get("redirect_uri") as string,
    claims: claimsForNext,
  });
  const back = new URL(url.searchParams.get("redirect_uri") as string);
  back.searchParams.set("code", code);
  back.searchParams.set("state", tamper.state ?? (url.searchParams.get("state") as string));
  return back.pathname + back.search;
}

const SW = {
  sub: "oidc-sw-1",
  org: "201",
  org_type: "la-childrens-services",
  role: "practitioner",
  purposes: ["safeguarding-s47", "child-in-need-s17"],
};

beforeAll(async () => {
  const idp = await provider();
  const idpFetch = ((input: string | URL | Request, init?: RequestInit) =>
    idp.request(typeof input === "string" || input instanceof URL ? String(input) : input.url, init)) as typeof fetch;
  t = await consoleApp({
    households: 0,
    devSignIn: false,
    fetch: idpFetch,
    env: { TFG_CONSOLE_OIDC: JSON.stringify({ issuer: ISSUER, clientId: CLIENT_ID }) },
  });
});

describe("OpenID Connect sign-in", () => {
  it("code + PKCE: the ID token's claims become the session's actor; the purpose is chosen, then shown", async () => {
    claimsForNext = SW;
    const client = new Client(t.app);
    const signIn = await (await client.request("/console/sign-in")).text();
    expect(signIn).toContain("/console/oidc/start");
    expect(signIn).not.toContain("/console/sign-in/development");
    const start = await client.request("/console/oidc/start");
    expect(start.status).toBe(303);
    const back = await client.request(authorize(start.headers.get("Location") as string));
    expect(back.status).toBe(303);
    expect(back.headers.get("Location")).toBe("/console/purpose");
    const purposePage = await (await client.request("/console/purpose")).text();
    expect(purposePage).toContain('value="safeguarding-s47"');
    expect(purposePage).not.toContain('value="break-glass"'); // only the purposes the token allows
    const csrf = await client.csrf("/console/purpose");
    expect((await client.post("/console/purpose", { purpose: "break-glass", _csrf: csrf })).status).toBe(400);
    expect((await client.post("/console/purpose", { purpose: "child-in-need-s17", _csrf: csrf })).status).toBe(303);
    const home = await (await client.request("/console")).text();
    expect(home).toContain("<strong>child-in-need-s17</strong>");
    // A lookup is audited under the ID token's issuer and subject, as an API token's would be.
    const before = await auditIds(t.store);
    const hc = await client.csrf("/console/household-check");
    await client.post("/console/household-check", { nhsNumber: "9990000026", _csrf: hc });
    const rows = await auditRowsSince(t.store, before);
    expect(rows.length).toBe(1);
    const agents = (rows[0]?.agent ?? []) as { who: unknown }[];
    expect(agents[0]?.who).toEqual({
      identifier: { system: ISSUER, value: "oidc-sw-1" },
    });
  });

  it("refuses a callback whose state is not the one sent", async () => {
    claimsForNext = SW;
    const client = new Client(t.app);
    const start = await client.request("/console/oidc/start");
    const res = await client.request(authorize(start.headers.get("Location") as string, { state: "forged" }));
    expect(res.status).toBe(401);
    expect([...client.cookies.keys()].some((k) => k.endsWith("tfg-console"))).toBe(false);
  });

  it("refuses a callback without the flow cookie (started in another browser), and a replayed code", async () => {
    claimsForNext = SW;
    const starter = new Client(t.app);
    const start = await starter.request("/console/oidc/start");
    const path = authorize(start.headers.get("Location") as string);
    expect((await new Client(t.app).request(path)).status).toBe(401);
    // The callback clears the flow cookie; a copy of it with the same code fails, as the issuer redeems a code once.
    const a = new Client(t.app);
    const s2 = await a.request("/console/oidc/start");
    const p2 = authorize(s2.headers.get("Location") as string);
    const flow = [...a.cookies].find(([k]) => k.endsWith("tfg-console-oidc")) as [string, string];
    expect((await a.request(p2)).status).toBe(303);
    expect([...a.cookies.keys()].some((k) => k.endsWith("tfg-console-oidc"))).toBe(false);
    const b = new Client(t.app);
    b.cookies.set(flow[0], flow[1]);
    expect((await b.request(p2)).status).toBe(401);
  });

  it("refuses an ID token without the gateway's claims", async () => {
    claimsForNext = { sub: "no-org", purposes: ["direct-care"] };
    const client = new Client(t.app);
    const start = await client.request("/console/oidc/start");
    const res = await client.request(authorize(start.headers.get("Location") as string));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("lacks the claims the gateway needs: org, org_type, role");
  });

  it("a token with one purpose of use skips the choice", async () => {
    claimsForNext = { ...SW, purposes: undefined, purpose_of_use: "safeguarding-s47" };
    const client = new Client(t.app);
    const start = await client.request("/console/oidc/start");
    const res = await client.request(authorize(start.headers.get("Location") as string));
    expect(res.headers.get("Location")).toBe("/console");
    expect(await (await client.request("/console")).text()).toContain("<strong>safeguarding-s47</strong>");
  });
});
