// Hostile headers and tokens (issue 8, scope 5): a forged Host never reaches a link, an identifying X-Request-Id never
// reaches a log line, and padded, immortal, iat-less, over-age and oversized tokens are refused with the RFC 6750 codes.

import { mkdtempSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSafeRequestId } from "../../src/http/request-log.js";
import { silentLogger } from "../../src/log/logger.js";
import { mintDevToken } from "../../src/runtime/dev-issuer.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { type RunningServer, startNodeServer } from "../../src/runtime/node.js";
import { createNodeLogger } from "../../src/runtime/node-logger.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";
import { PRACTITIONER } from "../support/tokens.js";

const FORGED = "evil.attacker.test";

/** A raw HTTP/1.1 request to the running server with any Host header (fetch does not let a caller set Host). */
function raw(
  url: string,
  path: string,
  headers: Record<string, string>,
  method = "GET",
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((done, fail) => {
    const req = httpRequest({ hostname, port: Number(port), path, method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", fail);
    req.end(body);
  });
}

describe("links and the Host header (real server, no TFG_BASE_URL)", () => {
  let server: RunningServer;
  let token: string;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tfg-host-"));
    server = await startNodeServer({
      env: { TFG_DATA_DIR: dataDir, TFG_PORT: "0" },
      devIssuer: true,
      logger: silentLogger,
    });
    token = await mintDevToken(dataDir, { ...PRACTITIONER, role: "system" });
  });
  afterAll(() => server?.close());

  const auth = () => ({ Authorization: `Bearer ${token}`, "Content-Type": "application/fhir+json" });

  it("a forged Host is refused before anything is written, and never appears in a response", async () => {
    const before = await raw(server.url, "/fhir/Patient?_summary=count", auth());
    expect(before.status).toBe(200);
    const interactions: [string, string, string?][] = [
      ["POST", "/fhir/Patient", '{"resourceType":"Patient"}'],
      ["GET", "/fhir/Patient"],
      ["GET", "/fhir/Patient/_history"],
      ["GET", "/fhir/metadata"],
      [
        "POST",
        "/fhir",
        '{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}}]}',
      ],
    ];
    for (const [method, path, body] of interactions) {
      for (const host of [FORGED, `${FORGED}:8787`, `127.0.0.1.${FORGED}`]) {
        const res = await raw(server.url, path, { ...auth(), Host: host }, method, body);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body).issue[0].expression).toEqual(["Host"]);
        expect(JSON.stringify(res.headers) + res.body).not.toContain(FORGED);
      }
    }
    const after = await raw(server.url, "/fhir/Patient?_summary=count", auth());
    expect(JSON.parse(after.body).total).toBe(JSON.parse(before.body).total);
  });

  it("the machine's own host builds links as before", async () => {
    const created = await raw(server.url, "/fhir/Patient", auth(), "POST", '{"resourceType":"Patient"}');
    expect(created.status).toBe(201);
    expect(String(created.headers.location)).toMatch(new RegExp(`^${server.url}/fhir/Patient/`));
    const search = JSON.parse((await raw(server.url, "/fhir/Patient?_count=1", auth())).body);
    for (const link of search.link) expect(link.url).toMatch(new RegExp(`^${server.url}/fhir/`));
  });
});

describe("links and the Host header (in-process app)", () => {
  it("with TFG_BASE_URL, every link is built from it whatever Host says", async () => {
    const t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), {
      TFG_BASE_URL: "https://gw.example.nhs.uk/fhir",
    });
    const headers = { Authorization: `Bearer ${t.token}`, "Content-Type": "application/fhir+json" };
    for (let i = 0; i < 3; i++) {
      await t.app.request(`http://${FORGED}/fhir/Patient`, {
        method: "POST",
        headers,
        body: '{"resourceType":"Patient"}',
      });
    }
    const res = await t.app.request(`http://${FORGED}/fhir/Patient?_count=1`, { headers });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(FORGED);
    expect(JSON.parse(text).link.map((l: { relation: string }) => l.relation)).toContain("next");
    expect(text).toContain("https://gw.example.nhs.uk/fhir/Patient?");
  });

  it("any host not on TFG_ALLOWED_HOSTS is refused; one on it builds links (property)", async () => {
    const t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), {
      TFG_ALLOWED_HOSTS: "gw.internal,api.trust.example:8443",
    });
    const headers = { Authorization: `Bearer ${t.token}` };
    await fc.assert(
      fc.asyncProperty(fc.domain(), async (host) => {
        fc.pre(host !== "gw.internal" && host !== "api.trust.example");
        const res = await t.app.request(`http://${host}/fhir/Patient`, { headers });
        expect(res.status).toBe(400);
        expect(await res.text()).not.toContain(host);
      }),
      { numRuns: 50 },
    );
    const ok = await t.app.request("http://gw.internal:9000/fhir/Patient", { headers });
    expect(JSON.parse(await ok.text()).link[0].url).toMatch(/^http:\/\/gw\.internal:9000\/fhir\/Patient/);
    expect((await t.app.request("https://api.trust.example:8443/fhir/Patient", { headers })).status).toBe(200);
    expect((await t.app.request("https://api.trust.example/fhir/Patient", { headers })).status).toBe(400);
  });
});

describe("X-Request-Id", () => {
  const NHS = "9990000018";
  const IDENTIFYING = [
    NHS,
    `ref_${NHS}`,
    `nhs${NHS}x`,
    "999-000-0018",
    "999.000.0018",
    "req_1983-07-14",
    "dob19830714",
    "x14.07.1983",
    "id-14-7-83-a",
    `00000000-0000-4000-8000-00${NHS}`,
  ];

  it("an id that carries an NHS number or a date is replaced, and never reaches a log line", async () => {
    const lines: string[] = [];
    const logger = createNodeLogger("debug", { write: (s: string) => void lines.push(s) });
    const t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), {}, { logger });
    for (const id of IDENTIFYING) {
      const res = await t.fhir("/fhir/Patient", { headers: { "X-Request-Id": id } });
      expect(res.headers.get("X-Request-Id")).not.toBe(id);
      const bad = await t.fhir("/fhir/Patient?birthdate=x", { headers: { "X-Request-Id": id } });
      expect(await bad.text()).not.toContain(id);
    }
    expect(lines.length).toBeGreaterThanOrEqual(IDENTIFYING.length);
    const all = lines.join("\n");
    for (const id of IDENTIFYING) expect(all).not.toContain(id);
    for (const digits of ["9990000018", "0000018", "19830714", "1983-07-14", "14.07.1983"])
      expect(all).not.toContain(digits);
  });

  it("an NHS number or a date embedded anywhere in an id is never accepted (property)", () => {
    const safeChar = fc.constantFrom(..."abcXYZ._-".split(""));
    const affix = fc.string({ unit: safeChar, maxLength: 20 });
    const nhs = fc.integer({ min: 9990000000, max: 9999999999 }).map(String);
    const spaced = nhs.chain((n) =>
      fc.constantFrom("-", ".", "_").map((s) => `${n.slice(0, 3)}${s}${n.slice(3, 6)}${s}${n.slice(6)}`),
    );
    const date = fc
      .date({ min: new Date("1900-01-01"), max: new Date("2099-12-31"), noInvalidDate: true })
      .chain((d) => {
        const [y, m, day] = d.toISOString().slice(0, 10).split("-") as [string, string, string];
        return fc.constantFrom(
          `${y}-${m}-${day}`,
          `${day}.${m}.${y}`,
          `${y}${m}${day}`,
          `${day}${m}${y}`,
          `${day}-${Number(m)}-${y.slice(2)}`,
        );
      });
    fc.assert(
      fc.property(affix, fc.oneof(nhs, spaced, date), affix, (a, secret, b) => {
        expect(isSafeRequestId(`${a}${secret}${b}`)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("ordinary ids are kept: UUIDs, ULIDs, trace ids", async () => {
    const t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()));
    for (const id of [
      "3f2b8c1e-7a4d-4b9e-9c3f-2a1b0c9d8e7f",
      "01HZX3J5K7M9P1Q3R5S7T9V1W3",
      "req-abc.123_x",
      "trace.4bf92f35",
    ]) {
      const res = await t.fhir("/fhir/Patient", { headers: { "X-Request-Id": id } });
      expect(res.headers.get("X-Request-Id")).toBe(id);
    }
  });
});

describe("tokens", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()));
  });
  const now = () => Math.floor(Date.now() / 1000);
  const get = (authorization?: string) =>
    t.app.request("http://gw.test/fhir/Patient", { headers: authorization ? { Authorization: authorization } : {} });
  /** Signs `claims` as given (no defaults added), with the test issuer's key. */
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ iss: t.issuer.issuer, aud: t.issuer.audience, ...PRACTITIONER, ...claims })
      .setProtectedHeader({ alg: "ES256", kid: t.issuer.publicJwk.kid as string, typ: "JWT" })
      .sign(t.issuer.privateKey);

  async function refused(res: Response, error: "invalid_request" | "invalid_token", reason: RegExp) {
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(
      new RegExp(`^Bearer realm="think-family-gateway", error="${error}"`),
    );
    const body = (await res.json()) as { resourceType: string; issue: { diagnostics: string }[] };
    expect(body.resourceType).toBe("OperationOutcome");
    expect(body.issue[0]?.diagnostics).toMatch(reason);
  }

  it("accepts a good token, one issued with exactly the maximum lifetime", async () => {
    expect((await get(`Bearer ${await sign({ iat: now(), exp: now() + 3600 })}`)).status).toBe(200);
  });

  it("no token, or no bearer token, is invalid_request", async () => {
    await refused(await get(), "invalid_request", /bearer token is required/);
    await refused(await get("Basic dXNlcjpwYXNz"), "invalid_request", /bearer token is required/);
    await refused(await get("Bearer"), "invalid_request", /bearer token is required/);
  });

  it("a token with == (or =) appended is invalid_token, though the signature before it is good", async () => {
    const good = await sign({ iat: now(), exp: now() + 600 });
    expect((await get(`Bearer ${good}`)).status).toBe(200);
    await refused(await get(`Bearer ${good}==`), "invalid_token", /malformed/);
    await refused(await get(`Bearer ${good}=`), "invalid_token", /malformed/);
  });

  it("an exp of 1e300 is refused (lifetime beyond the maximum)", async () => {
    await refused(await get(`Bearer ${await sign({ iat: now(), exp: 1e300 })}`), "invalid_token", /lifetime/);
  });

  it("a token without iat is refused", async () => {
    await refused(await get(`Bearer ${await sign({ exp: now() + 600 })}`), "invalid_token", /iat/);
  });

  it("an iat in the future is refused", async () => {
    await refused(await get(`Bearer ${await sign({ iat: now() + 3600, exp: now() + 4000 })}`), "invalid_token", /iat/);
  });

  it("a lifetime over the maximum, or a token older than it, is refused", async () => {
    await refused(
      await get(`Bearer ${await sign({ iat: now(), exp: now() + 3600 + 120 })}`),
      "invalid_token",
      /lifetime/,
    );
    await refused(
      await get(`Bearer ${await sign({ iat: now() - 3600 - 120, exp: now() + 60 })}`),
      "invalid_token",
      /older than the maximum/,
    );
  });

  it("the maximum lifetime is configurable (TFG_MAX_TOKEN_LIFETIME_SECONDS)", async () => {
    const short = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), {
      TFG_MAX_TOKEN_LIFETIME_SECONDS: "300",
    });
    const token = await short.issuer.sign(PRACTITIONER, { expiresIn: "10m" });
    const res = await short.app.request("http://gw.test/fhir/Patient", {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(401);
    expect(
      (
        await short.app.request("http://gw.test/fhir/Patient", {
          headers: { Authorization: `Bearer ${await short.issuer.sign(PRACTITIONER, { expiresIn: "5m" })}` },
        })
      ).status,
    ).toBe(200);
  });

  it("a 100 KB token gets 431 with an OperationOutcome, in process and from the real server", async () => {
    const huge = `Bearer ${"a".repeat(100 * 1024)}`;
    const res = await get(huge);
    expect(res.status).toBe(431);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe("OperationOutcome");

    const dataDir = mkdtempSync(join(tmpdir(), "tfg-431-"));
    const server = await startNodeServer({ env: { TFG_DATA_DIR: dataDir, TFG_PORT: "0" }, logger: silentLogger });
    try {
      const answer = await raw(server.url, "/fhir/Patient", { Authorization: huge });
      expect(answer.status).toBe(431);
      expect(String(answer.headers["content-type"])).toContain("application/fhir+json");
      expect(JSON.parse(answer.body).resourceType).toBe("OperationOutcome");
      // A token just over the app's limit but under Node's header limit gets the app's 431.
      const mid = await raw(server.url, "/fhir/Patient", { Authorization: `Bearer ${"a".repeat(9000)}` });
      expect(mid.status).toBe(431);
      expect(JSON.parse(mid.body).issue[0].expression).toEqual(["Authorization"]);
    } finally {
      await server.close();
    }
  });
});
