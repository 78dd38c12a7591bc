// The per-request path made cheaper for issue 8 (load) still does what it did: every response over a real socket
// carries its X-Request-Id and its own status, type and body; logs keep every identifier out, in records, nested
// fields and child bindings, with pino's redact paths gone; scrubText's one-pass gate changes no string.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CENSORED, IDENTIFYING_PATTERNS, scrubText } from "../../src/log/redact.js";
import { mintDevToken } from "../../src/runtime/dev-issuer.js";
import { type RunningServer, startNodeServer } from "../../src/runtime/node.js";
import { createNodeLogger } from "../../src/runtime/node-logger.js";

const NHS_NUMBER = "9990000018";
const NAME = "Zebedee";
const DOB = "1983-07-14";
const POSTCODE = "LS1 4AP";

/** scrubText as it was before the gate: every pattern replaced in turn. */
const scrubAll = (text: string) => IDENTIFYING_PATTERNS.reduce((out, p) => out.replace(p, CENSORED), text);

describe("scrubText", () => {
  const fragment = fc.oneof(
    fc.constantFrom(
      NHS_NUMBER,
      "999 000 0018",
      "999-000-0018",
      POSTCODE,
      "ls14ap",
      "ZZ99 9ZZ",
      DOB,
      "14/07/1983",
      "Bearer abc.def",
      "bearer\tx",
      "eyJhbGciOi.eyJzdWIiOi.c2ln",
      "EYJhbGciOi.eyJzdWIiOi.c2ln",
      "req-1a2b3c4d",
      "/fhir/:type/:id",
    ),
    fc.constantFrom(" ", "-", "/", ".", "_", "x", "0", "1", "A"),
    fc.string({ maxLength: 12 }),
    fc.stringMatching(/^[0-9 /-]{1,14}$/),
  );
  it("gives the same text as replacing every pattern in turn (property)", () => {
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 12 }), (parts) => {
        const text = parts.join("");
        expect(scrubText(text)).toBe(scrubAll(text));
      }),
      { numRuns: 3000 },
    );
  });
  it("returns a string with nothing identifying unchanged, and censors one that has", () => {
    expect(scrubText("request")).toBe("request");
    expect(scrubText(`seen ${NHS_NUMBER}`)).toBe(`seen ${CENSORED}`);
  });
});

describe("the Node logger without pino's redact paths", () => {
  const lines: string[] = [];
  const logger = createNodeLogger("debug", { write: (s: string) => void lines.push(s) });
  const secrets = [NHS_NUMBER, NAME, DOB, POSTCODE, "s3cret"];

  it("censors sensitive keys at any depth and in any case, and identifying values anywhere", () => {
    lines.length = 0;
    logger.info({
      NHSNumber: NHS_NUMBER,
      patient: { name: NAME, contact: { Address: { line: ["1 Road"], postalCode: POSTCODE } } },
      list: [{ birthDate: DOB }, `dob ${DOB}`],
      authorization: "s3cret",
      note: `${NAME}'s number ${NHS_NUMBER}`.replace(NAME, "someone"),
    });
    expect(lines).toHaveLength(1);
    for (const s of secrets) expect(lines[0]).not.toContain(s);
    const line = JSON.parse(lines[0] as string);
    expect(line.NHSNumber).toBe(CENSORED);
    expect(line.patient.name).toBe(CENSORED);
    expect(line.patient.contact.Address).toBe(CENSORED);
    expect(line.list[0].birthDate).toBe(CENSORED);
  });

  it("censors a child logger's bindings (keys and values) as it censors records", () => {
    lines.length = 0;
    logger
      .child({ name: NAME, ref: `ref ${NHS_NUMBER}`, nested: { postcode: POSTCODE } })
      .child({ token: "s3cret", born: DOB })
      .warn({ ok: true }, `message with ${POSTCODE}`);
    expect(lines).toHaveLength(1);
    for (const s of secrets) expect(lines[0]).not.toContain(s);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ name: CENSORED, token: CENSORED, ok: true, level: 40 });
  });
});

describe("responses over a real socket", () => {
  let server: RunningServer;
  let token: string;
  const lines: string[] = [];
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tfg-load-path-"));
    server = await startNodeServer({
      env: { TFG_DATA_DIR: dataDir, TFG_PORT: "0", TFG_HOST: "127.0.0.1", TFG_BODY_LIMIT_BYTES: "2000" },
      devIssuer: true,
      logger: createNodeLogger("info", { write: (s: string) => void lines.push(s) }),
    });
    token = await mintDevToken(dataDir, {
      sub: "load-path",
      org: "RX4",
      org_type: "mh-trust",
      role: "system",
      purpose_of_use: "direct-care",
    });
    const created = await fetch(`${server.url}/fhir/Patient/p-one`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/fhir+json" },
      body: JSON.stringify({ resourceType: "Patient", id: "p-one", gender: "female" }),
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  const cases: { name: string; path: string; init?: RequestInit; auth?: boolean; status: number; type: RegExp }[] = [
    { name: "health check (c.json)", path: "/healthz", status: 200, type: /^application\/json/ },
    { name: "capability statement", path: "/fhir/metadata", status: 200, type: /^application\/fhir\+json/ },
    { name: "read (stored JSON)", path: "/fhir/Patient/p-one", auth: true, status: 200, type: /fhir\+json/ },
    { name: "search", path: "/fhir/Patient?gender=female", auth: true, status: 200, type: /fhir\+json/ },
    { name: "not found", path: "/fhir/Patient/nobody", auth: true, status: 404, type: /fhir\+json/ },
    { name: "no route", path: "/nothing-here", status: 404, type: /fhir\+json/ },
    { name: "no token", path: "/fhir/Patient/p-one", status: 401, type: /fhir\+json/ },
    {
      name: "XML asked for",
      path: "/fhir/Patient/p-one",
      auth: true,
      init: { headers: { Accept: "application/fhir+xml" } },
      status: 406,
      type: /fhir\+json/,
    },
    {
      name: "body over the limit",
      path: "/fhir/Patient",
      auth: true,
      init: {
        method: "POST",
        headers: { "Content-Type": "application/fhir+json" },
        body: JSON.stringify({ resourceType: "Patient", gender: "x".repeat(3000) }),
      },
      status: 413,
      type: /fhir\+json/,
    },
  ];

  for (const [i, c] of cases.entries()) {
    it(`${c.name}: status ${c.status}, its body and type, the request id echoed and logged`, async () => {
      const requestId = `load-path-case-${"abcdefghijklmnop"[i]}`;
      const headers = new Headers(c.init?.headers);
      headers.set("X-Request-Id", requestId);
      if (c.auth) headers.set("Authorization", `Bearer ${token}`);
      const res = await fetch(`${server.url}${c.path}`, { ...c.init, headers });
      const body = await res.text();
      expect(res.status).toBe(c.status);
      expect(res.headers.get("X-Request-Id")).toBe(requestId);
      expect(res.headers.get("Content-Type")).toMatch(c.type);
      expect(Number(res.headers.get("Content-Length"))).toBe(Buffer.byteLength(body));
      const parsed = JSON.parse(body);
      if (c.status >= 400) expect(parsed.resourceType).toBe("OperationOutcome");
      if (c.path === "/fhir/Patient/p-one" && c.status === 200) {
        expect(parsed).toMatchObject({ resourceType: "Patient", id: "p-one", gender: "female" });
        expect(res.headers.get("ETag")).toBe('W/"1"');
      }
      await new Promise((r) => setTimeout(r, 20));
      const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.requestId === requestId && l.msg === "request");
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ status: c.status, method: c.init?.method ?? "GET" });
    });
  }

  it("a new request id when the client sends none, different for each request", async () => {
    const a = (await fetch(`${server.url}/healthz`)).headers.get("X-Request-Id");
    const b = (await fetch(`${server.url}/healthz`)).headers.get("X-Request-Id");
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(b).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
  });
});
