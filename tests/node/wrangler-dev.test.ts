// Smoke test of the built Worker in real workerd: `wrangler dev` on local D1 with migrations applied by wrangler.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NHS_NUMBER_SYSTEM, profileUrl } from "../../src/fhir/canonical.js";
import { nhsCheckDigit } from "../../src/fhir/nhs-number.js";
import { createTestIssuer, type TestIssuer } from "../support/tokens.js";

const WRANGLER = join(process.cwd(), "node_modules", "wrangler", "bin", "wrangler.js");
const ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  CI: "true",
  NO_COLOR: "1",
};

let child: ChildProcess | undefined;
let base = "";
let issuer: TestIssuer;
let output = "";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitForServer(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status > 0) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not start within ${timeoutMs} ms:\n${output.slice(-2000)}`);
}

beforeAll(async () => {
  issuer = await createTestIssuer("https://idp.wrangler.test.invalid");
  const persist = mkdtempSync(join(tmpdir(), "tfg-wrangler-"));
  const migrate = spawnSync(
    process.execPath,
    [WRANGLER, "d1", "migrations", "apply", "tfg", "--local", "--persist-to", persist],
    {
      env: ENV,
      encoding: "utf8",
    },
  );
  expect(migrate.status, migrate.stdout + migrate.stderr).toBe(0);
  const port = await freePort();
  const issuers = JSON.stringify([
    { issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: [issuer.publicJwk] } },
  ]);
  child = spawn(
    process.execPath,
    [
      WRANGLER,
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      persist,
      "--var",
      `TFG_AUTH_ISSUERS:${issuers}`,
    ],
    { env: ENV, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  base = `http://127.0.0.1:${port}`;
  await waitForServer(`${base}/healthz`, 60_000);
}, 90_000);

afterAll(() => {
  child?.kill("SIGTERM");
});

describe("wrangler dev (real workerd)", () => {
  it("serves /fhir/metadata", async () => {
    const res = await fetch(`${base}/fhir/metadata`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe("CapabilityStatement");
  });

  it("authenticates and stores in local D1", async () => {
    expect((await fetch(`${base}/fhir/Patient`)).status).toBe(401);
    const token = await issuer.sign();
    const created = await fetch(`${base}/fhir/Patient`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/fhir+json" },
      body: JSON.stringify({ resourceType: "Patient", gender: "unknown" }),
    });
    expect(created.status).toBe(201);
    const location = created.headers.get("Location") as string;
    expect(location.startsWith(`${base}/fhir/Patient/`)).toBe(true);
    const { id } = (await created.json()) as { id: string };
    const read = await fetch(`${base}/fhir/Patient/${id}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(read.status).toBe(200);
  });

  it("runs the build-time generated validators: $validate reports a bad NHS number check digit", async () => {
    const token = await issuer.sign();
    const nine = "999000004";
    const badNhs = `${nine}${((nhsCheckDigit(nine) as number) + 1) % 10}`;
    const res = await fetch(`${base}/fhir/Patient/$validate`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/fhir+json" },
      body: JSON.stringify({
        resourceType: "Patient",
        meta: { profile: [profileUrl("TFG-Patient")] },
        text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic patient</div>' },
        identifier: [{ system: NHS_NUMBER_SYSTEM, value: badNhs }],
      }),
    });
    expect(res.status, output.slice(-2000)).toBe(200);
    const body = (await res.json()) as { issue: { code: string; diagnostics: string; expression?: string[] }[] };
    expect(body.issue).toEqual([
      {
        severity: "error",
        code: "value",
        diagnostics:
          "Invariant tfg-nhs-1 failed: NHS number must be ten digits with a valid modulus-11 check digit (profile TFG-Patient)",
        expression: ["Patient.identifier[0].value"],
      },
    ]);
  });

  it("evaluates FHIRPath invariants in workerd (no code generation from strings): $validate and create", async () => {
    const token = await issuer.sign();
    const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/fhir+json" };
    const broken = { resourceType: "Patient", contact: [{ gender: "female" }] };
    const res = await fetch(`${base}/fhir/Patient/$validate`, {
      method: "POST",
      headers,
      body: JSON.stringify(broken),
    });
    expect(res.status, output.slice(-2000)).toBe(200);
    const body = (await res.json()) as { issue: { severity: string; diagnostics: string; expression?: string[] }[] };
    expect(body.issue).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          severity: "error",
          code: "invariant",
          diagnostics: expect.stringContaining("Invariant pat-1 failed"),
          expression: ["Patient.contact[0]"],
        }),
      ]),
    );
    const period = {
      resourceType: "Patient",
      contact: [{ gender: "female", period: { start: "2026-02-02", end: "2026-02-01" } }],
    };
    const created = await fetch(`${base}/fhir/Patient`, { method: "POST", headers, body: JSON.stringify(period) });
    expect(created.status, output.slice(-2000)).toBe(422);
    const outcome = (await created.json()) as { issue: { diagnostics: string; expression?: string[] }[] };
    expect(outcome.issue.map((i) => [i.diagnostics.split(" failed")[0], i.expression?.[0]])).toEqual(
      expect.arrayContaining([
        ["Invariant pat-1", "Patient.contact[0]"],
        ["Invariant per-1", "Patient.contact[0].period"],
      ]),
    );
  });
});
