// The ingest CLI end to end on a synthetic population (issue 3 "Must show"): `npm run synth` for 1,000
// households, seed 1, then `tfg ingest` of the CPA, NDTMS and CIN outputs, each sent by its owner (the CPA
// file by RX4 as authorised submitter for RXE and RXG), stores every record (zero rejected) and a second
// run by another user reports every record unchanged; --invalid-nhs records are rejected with exit 3; a
// file sent by an organisation that owns none of it is refused (exit 4) and stores nothing (issue 7).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RECORD_OWNER_SYSTEM } from "../../src/auth/ownership.js";
import type { IngestReport } from "../../src/ingest/report.js";
import { ORGANISATION_SYSTEM, SENDER_TOKEN_EXTENSION } from "../../src/ingest/sender.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp } from "../support/test-app.js";

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

/** The synthetic CPA file is sent by RX4 (its header's provider), the authorised submitter of the other two trusts. */
const SUBMITTERS = JSON.stringify({ RX4: ["RXE", "RXG"] });

/** Runs `tfg ingest` as `org`/`user`; returns the exit status and the per-file reports. */
function ingest(dataDir: string, source: string, paths: string[], org: string, user = "data-manager-1") {
  const reportFile = join(dataDir, `report-${source}-${Date.now()}.json`);
  const r = tsx(
    "src/runtime/cli/tfg.ts",
    ["ingest", source, ...paths, "--org", org, "--user", user, "--quiet", "--report", reportFile],
    { TFG_DATA_DIR: dataDir, TFG_INGEST_SUBMITTERS: SUBMITTERS },
  );
  expect(r.stderr).toBe("");
  const { files } = JSON.parse(readFileSync(reportFile, "utf8")) as { files: { path: string; report: IngestReport }[] };
  return { status: r.status, stdout: r.stdout, files };
}

/** The synthetic population's files, each with the organisation that owns (or submits) it. */
function inputsOf(out: string): [string, string[], string][] {
  const ndtms = readdirSync(join(out, "ndtms")).sort();
  const cin = readdirSync(join(out, "cin")).sort();
  return [
    ["cpa", [join(out, "cpa", "cpa.json")], "RX4"],
    ...ndtms.map((f): [string, string[], string] => ["ndtms", [join(out, "ndtms", f)], f.split("-")[0] as string]),
    ...cin.map((f): [string, string[], string] => ["cin", [join(out, "cin", f)], f.split("_")[0] as string]),
  ];
}

const sum = (files: { report: IngestReport }[], k: "records" | "created" | "updated" | "unchanged" | "rejected") =>
  files.reduce((n, f) => n + f.report.counts[k], 0);

describe("tfg ingest on a synthetic population", () => {
  it("stores 1,000 households (seed 1) from all three sources with zero rejected, then finds every record unchanged", () => {
    const out = tmp();
    const data = tmp();
    synth(out, "--households", "1000", "--seed", "1");
    const inputs = inputsOf(out);
    expect(inputs.filter(([s]) => s === "ndtms").length).toBe(3);
    expect(inputs.filter(([s]) => s === "cin").length).toBe(2);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    const totals: Record<string, number> = {};
    for (const [source, paths, org] of inputs) {
      const first = ingest(data, source, paths, org);
      expect(first.status, first.stdout).toBe(0);
      expect(sum(first.files, "rejected"), first.stdout).toBe(0);
      expect(sum(first.files, "records")).toBe(sum(first.files, "created"));
      expect(first.files.every((f) => f.report.fatal === undefined)).toBe(true);
      totals[source] = (totals[source] ?? 0) + sum(first.files, "records");
    }
    expect(totals).toEqual({
      cpa: manifest.counts.cpa.patients,
      ndtms: manifest.counts.ndtms.rows,
      cin: manifest.counts.cin.children,
    });
    // Sent again by another user of the same organisations: every record unchanged, nothing written.
    for (const [source, paths, org] of inputs) {
      const again = ingest(data, source, paths, org, "data-manager-2");
      expect(again.status).toBe(0);
      const records = sum(again.files, "records");
      expect(sum(again.files, "unchanged"), `${source}: ${again.stdout}`).toBe(records);
      for (const f of again.files) expect(f.report.records.every((r) => r.outcome === "unchanged")).toBe(true);
      expect(again.files.reduce((n, f) => n + f.report.counts.resourcesWritten, 0)).toBe(0);
    }
  }, 300_000);

  it("rejects only the records with an NHS number failing its check digit (--invalid-nhs), stores the rest, exits 3", () => {
    const out = tmp();
    const data = tmp();
    synth(out, "--households", "400", "--seed", "invalid", "--invalid-nhs");
    const truth = JSON.parse(readFileSync(join(out, "ground-truth.json"), "utf8")) as {
      noise: { kind: string; source: string }[];
    };
    const invalidCpa = truth.noise.some((n) => n.kind === "nhs-number-invalid" && n.source.startsWith("cpa"));
    expect(invalidCpa).toBe(true);
    const r = ingest(data, "cpa", [join(out, "cpa", "cpa.json")], "RX4");
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

  it("refuses a file whose records another organisation owns (exit 4, nothing stored), needs --org and --user, and names the sender in Provenance", async () => {
    const out = tmp();
    const data = tmp();
    synth(out, "--households", "60", "--seed", "owners");
    const file = readdirSync(join(out, "ndtms")).sort()[0] as string;
    const owner = file.split("-")[0] as string;
    const path = join(out, "ndtms", file);

    const noOrg = tsx("src/runtime/cli/tfg.ts", ["ingest", "ndtms", path, "--user", "u"], { TFG_DATA_DIR: data });
    expect(noOrg.status).toBe(2);
    expect(noOrg.stderr).toMatch(/--org/);
    const noUser = tsx("src/runtime/cli/tfg.ts", ["ingest", "ndtms", path, "--org", owner], { TFG_DATA_DIR: data });
    expect(noUser.status).toBe(2);

    const refused = ingest(data, "ndtms", [path], "N0999");
    expect(refused.status, refused.stdout).toBe(4);
    expect(refused.stdout).toMatch(/refused, nothing stored/);
    expect(refused.files).toEqual([]);
    const store = await openSqliteStore(join(data, "tfg.sqlite"), loadMigrations());
    try {
      const t = await createTestApp(store);
      // "Nothing stored" is checked in the store, whoever would own it.
      const count = async (type: string) =>
        (await store.search({ resourceType: type, criteria: [], count: 1, sort: "id" })).total;
      // Read as the owner: the sharing protocol shows another organisation nothing of its records.
      const asOwner = {
        headers: {
          Authorization: `Bearer ${await t.issuer.sign({ sub: "feed", org: owner, org_type: "drug-alcohol-service", role: "system", purpose_of_use: "direct-care" })}`,
        },
      };
      expect(await count("EpisodeOfCare")).toBe(0);
      expect(await count("Provenance")).toBe(0);

      const stored = ingest(data, "ndtms", [path], owner, "alice");
      expect(stored.status, stored.stdout).toBe(0);
      const provenance = (await (
        await t.fhir(`/fhir/Provenance?_count=1&_tag=${encodeURIComponent(`${RECORD_OWNER_SYSTEM}|${owner}`)}`, asOwner)
      ).json()) as {
        total: number;
        entry: { resource: { agent: Record<string, unknown>[]; meta: { tag: unknown[] } } }[];
      };
      expect(provenance.total).toBe(stored.files[0]?.report.counts.created);
      const prov = provenance.entry[0]?.resource;
      expect(prov?.agent).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            who: expect.objectContaining({ identifier: { system: ORGANISATION_SYSTEM, value: owner } }),
          }),
          expect.objectContaining({
            who: expect.objectContaining({ identifier: { system: "urn:tfg:cli", value: "alice" } }),
            onBehalfOf: { identifier: { system: ORGANISATION_SYSTEM, value: owner } },
            extension: [
              {
                url: SENDER_TOKEN_EXTENSION,
                valueIdentifier: { system: expect.stringMatching(/\/Id\/cli-run$/), value: expect.any(String) },
              },
            ],
          }),
        ]),
      );
      expect(prov?.meta.tag).toEqual([expect.objectContaining({ code: owner })]);
    } finally {
      await store.close();
    }
  }, 120_000);
});
