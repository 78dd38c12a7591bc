// `npm run tfg -- returns build|submit`: the CLI builds through the returns service (same rules, same audit) and
// writes the files and the risk report; a kind the organisation does not produce is refused with exit 4.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { base64url } from "jose";
import { describe, expect, it } from "vitest";

const KEYS = JSON.stringify({ "mh-children": [{ id: "cli-1", secret: base64url.encode(new Uint8Array(32).fill(3)) }] });

function tfg(dataDir: string, ...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/runtime/cli/tfg.ts", "returns", ...args], {
    encoding: "utf8",
    env: { ...process.env, TFG_DATA_DIR: dataDir, TFG_RETURN_KEYS: KEYS, TFG_DATABASE_URL: "" },
    timeout: 120_000,
  });
}

describe("tfg returns", () => {
  it("builds a return into a folder with its risk report, and audits the build", () => {
    const data = mkdtempSync(join(tmpdir(), "tfg-returns-cli-"));
    const out = join(data, "out");
    const who = ["--org", "RX4", "--org-type", "mh-trust", "--user", "analyst-7"];
    const run = tfg(
      data,
      "build",
      "mh-children",
      ...who,
      "--start",
      "2026-04-01",
      "--end",
      "2026-06-30",
      "--out",
      out,
      "--quiet",
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/built: /);
    const files = readdirSync(out);
    expect(files).toContain("risk-report.json");
    expect(files.length).toBeGreaterThan(1);
    const risk = JSON.parse(readFileSync(join(out, "risk-report.json"), "utf8")) as { kind: string; rule: string };
    expect(risk).toMatchObject({ kind: "mh-children", rule: "nhs" });
    // The audit trail is in its own file, and holds the build.
    expect(existsSync(join(data, "audit.sqlite"))).toBe(true);
    const verify = spawnSync(process.execPath, ["--import", "tsx", "src/runtime/cli/tfg.ts", "audit", "verify"], {
      encoding: "utf8",
      env: { ...process.env, TFG_DATA_DIR: data, TFG_DATABASE_URL: "" },
    });
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/intact/);

    // Submitting with no endpoint configured is refused, naming the setting.
    const id = /^(\S+) built/m.exec(run.stdout)?.[1] as string;
    const submit = tfg(data, "submit", id, ...who);
    expect(submit.status).toBe(1);
    expect(submit.stderr).toContain("TFG_RETURN_ENDPOINTS");
  }, 240_000); // three CLI processes, each starting tsx: slow on a loaded 2-core machine

  it("refuses a kind the organisation does not produce (exit 4), building nothing", () => {
    const data = mkdtempSync(join(tmpdir(), "tfg-returns-cli-"));
    const run = tfg(
      data,
      "build",
      "ndtms",
      "--org",
      "LA1",
      "--org-type",
      "la-childrens-services",
      "--user",
      "u",
      "--start",
      "2026-04-01",
      "--end",
      "2026-06-30",
    );
    expect(run.status).toBe(4);
    expect(run.stderr).toMatch(/403/);
  }, 120_000);
});
