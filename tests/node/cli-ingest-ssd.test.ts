// `tfg ingest ssd` on a synthetic population (docs/sources/ssd.md): each LA's folder of SSD CSV tables is stored with
// nothing rejected (exit 0), the same records as the JSON document are then all unchanged, and a folder of
// another LA's records is refused whole (exit 4) with nothing stored for it.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { IngestReport } from "../../src/ingest/report.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "tfg-cli-ssd-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tfg(dataDir: string, path: string, org: string) {
  const reportFile = join(dataDir, `report-${Date.now()}-${Math.random()}.json`);
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/runtime/cli/tfg.ts",
      "ingest",
      "ssd",
      path,
      "--org",
      org,
      "--user",
      "case-feed",
      "--quiet",
      "--report",
      reportFile,
    ],
    {
      encoding: "utf8",
      env: { ...process.env, TFG_DATABASE_URL: "", TFG_DATA_DIR: dataDir, TFG_INGEST_SUBMITTERS: "" },
    },
  );
  expect(r.stderr).toBe("");
  let files: { report: IngestReport }[] = [];
  try {
    files = (JSON.parse(readFileSync(reportFile, "utf8")) as { files: { report: IngestReport }[] }).files;
  } catch {
    // a refused file writes no report entry
  }
  return { status: r.status, stdout: r.stdout, report: files[0]?.report };
}

describe("tfg ingest ssd", () => {
  it("stores each LA's CSV tables, finds the JSON document unchanged, and refuses another LA's folder", () => {
    const out = tmp();
    const data = tmp();
    execFileSync(process.execPath, [
      "--import",
      "tsx",
      "src/runtime/cli/synth.ts",
      "--out",
      out,
      "--households",
      "150",
      "--seed",
      "cli-ssd",
    ]);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as {
      ssdFiles: { la: string; json: string; csv: string; people: number }[];
    };
    expect(manifest.ssdFiles.length).toBe(2);
    for (const f of manifest.ssdFiles) {
      const first = tfg(data, join(out, f.csv), f.la);
      expect(first.status, first.stdout).toBe(0);
      expect(first.report?.counts).toMatchObject({ records: f.people, created: f.people, rejected: 0 });
      const again = tfg(data, join(out, f.json), f.la);
      expect(again.status, again.stdout).toBe(0);
      expect(again.report?.counts).toMatchObject({ records: f.people, unchanged: f.people, resourcesWritten: 0 });
    }
    const [a, b] = manifest.ssdFiles;
    if (!a || !b) throw new Error("two LAs expected");
    const fresh = tmp();
    const refused = tfg(fresh, join(out, b.csv), a.la);
    expect(refused.status).toBe(4);
    expect(refused.stdout).toContain("refused, nothing stored");
  }, 120_000);
});
