// The console on Workers: `wrangler dev` (real workerd) serves the console's pages and the NHS.UK stylesheet and
// script it imports as text modules (wrangler.toml's Text rule), and offers no development sign-in there.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

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

beforeAll(async () => {
  const port = await freePort();
  const persist = mkdtempSync(join(tmpdir(), "tfg-wrangler-console-"));
  child = spawn(
    process.execPath,
    [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persist],
    {
      env: ENV,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/healthz`)).status > 0) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not start:\n${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 90_000);

afterAll(() => {
  child?.kill("SIGTERM");
});

describe("console on wrangler dev", () => {
  it("serves the NHS.UK stylesheet and script", async () => {
    const css = await fetch(`${base}/console/assets/nhsuk-frontend.min.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get("Content-Type")).toContain("text/css");
    expect(await css.text()).toContain(".nhsuk-header");
    const js = await fetch(`${base}/console/assets/nhsuk-frontend.min.js`);
    expect(js.status).toBe(200);
    expect(await js.text()).toContain("initAll");
  });

  it("serves the sign-in page, without the development sign-in", async () => {
    const res = await fetch(`${base}/console/sign-in`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<h1");
    expect(html).toContain("Sign in");
    expect(html).not.toContain("/console/sign-in/development");
    expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'self'");
  });
});
