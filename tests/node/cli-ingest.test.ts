// The ingest CLI end to end on a synthetic population (issue 3 "Must show"): `npm run synth` for 1,000
// households, seed 1, then `tfg ingest` of the CPA, NDTMS and CIN outputs stores every record (zero
// rejected) and a second run reports every record unchanged; --invalid-nhs records are rejected with exit 3.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { IngestReport } from "../../src/ingest/report.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "tfg-cli-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tsx = (script: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ["--import", "tsx", script, ...args], {
    encoding: "utf8",
    env: { ...process.env, TFG_DATABASE_URL: "", ...env },
  });

function synth(out: string, ...extra: string[]) {
  execFileSync(process.execPath, ["--import", "tsx", "src/runtime/cli/synth.ts", "--out", out, ...extra], {
    encoding: "utf8",
  });
}

/** Runs `tfg ingest`; returns the exit status and the per-file reports. */
function ingest(dataDir: string, source: string, paths: string[]) {
  const reportFile = join(dataDir, `report-${source}-${Date.now()}.json`);
  const r = tsx("src/runtime/cli/tfg.ts", ["ingest", source, ...paths, "--quiet", "--report", reportFile], {
    TFG_DATA_DIR: dataDir,
  });
  expect(r.stderr).toBe("");
  const { files } = JSON.parse(readFileSync(reportFile, "utf8")) as { files: { path: string; report: IngestReport }[] };
  return { status: r.status, stdout: r.stdout, files };
}

const sum = (files: { report: IngestReport }[], k: "records" | "created" | "updated" | "unchanged" | "rejected") =>
  files.reduce((n, f) => n + f.report.counts[k], 0);

describe("tfg ingest on a synthetic population", () => {
  it("stores 1,000 households (seed 1) from all three sources with zero rejected, then finds every record unchanged", () => {
    const out = tmp();
    const data = tmp();
    synth(out, "--households", "1000", "--seed", "1");
    const inputs: [string, string[]][] = [
      ["cpa", [join(out, "cpa", "cpa.json")]],
      ["ndtms", [join(out, "ndtms")]],
      ["cin", [join(out, "cin")]],
    ];
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    for (const [source, paths] of inputs) {
      const first = ingest(data, source, paths);
      expect(first.status, first.stdout).toBe(0);
      expect(sum(first.files, "rejected"), first.stdout).toBe(0);
      expect(sum(first.files, "records")).toBe(sum(first.files, "created"));
      expect(first.files.every((f) => f.report.fatal === undefined)).toBe(true);
      if (source === "ndtms") expect(first.files.length).toBe(3);
      if (source === "cin") expect(first.files.length).toBe(2);
      const expected = {
        cpa: manifest.counts.cpa.patients,
        ndtms: manifest.counts.ndtms.rows,
        cin: manifest.counts.cin.children,
      };
      expect(sum(first.files, "records")).toBe(expected[source as keyof typeof expected]);
    }
    for (const [source, paths] of inputs) {
      const again = ingest(data, source, paths);
      expect(again.status).toBe(0);
      const records = sum(again.files, "records");
      expect(sum(again.files, "unchanged"), `${source}: ${again.stdout}`).toBe(records);
      for (const f of again.files) expect(f.report.records.every((r) => r.outcome === "unchanged")).toBe(true);
    }
  }, 120_000);

  it("rejects only the records with an NHS number failing its check digit (--invalid-nhs), stores the rest, exits 3", () => {
    const out = tmp();
    const data = tmp();
    synth(out, "--households", "400", "--seed", "invalid", "--invalid-nhs");
    const truth = JSON.parse(readFileSync(join(out, "ground-truth.json"), "utf8")) as {
      noise: { kind: string; source: string }[];
    };
    const invalidCpa = truth.noise.some((n) => n.kind === "nhs-number-invalid" && n.source.startsWith("cpa"));
    expect(invalidCpa).toBe(true);
    const r = ingest(data, "cpa", [join(out, "cpa", "cpa.json")]);
    expect(r.status).toBe(3);
    const report = r.files[0]?.report as IngestReport;
    expect(report.counts.rejected).toBeGreaterThan(0);
    expect(report.counts.created).toBe(report.counts.records - report.counts.rejected);
    for (const rec of report.records.filter((x) => x.outcome === "rejected")) {
      for (const i of rec.issues?.issue ?? []) {
        expect(i.diagnostics).toMatch(/NHS number/);
        expect(i.expression?.[0]).toMatch(/NHSNumber/);
      }
    }
    // No identifiable value in what the CLI prints: the written NHS numbers never appear.
    for (const m of r.stdout.matchAll(/\b999\d{7}\b/g)) expect.fail(`NHS number printed: ${m[0].slice(0, 3)}…`);
  }, 120_000);
});
