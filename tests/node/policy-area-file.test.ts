// An area's own sharing protocol (docs/POLICY.md "An area's protocol"): TFG_POLICY (on Node TFG_POLICY_FILE) is
// checked when the configuration is read, a bad file stops the start naming its line, and a good one decides reads.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AUDIT_STREAM } from "../../src/audit/audit-log.js";
import { ConfigError, parseConfig } from "../../src/config.js";
import { BASELINE_POLICY_TEXT } from "../../src/policy/baseline.generated.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { nodeEnv, startNodeServer } from "../../src/runtime/node.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp } from "../support/test-app.js";

/** The baseline with one rule put first: direct care is closed in this area. */
const CLOSED = BASELINE_POLICY_TEXT.replace(
  "rules:\n",
  [
    "rules:",
    "  - id: area-direct-care-closed",
    "    description: This area shares nothing for direct care through the gateway.",
    "    when:",
    "      purpose: [direct-care]",
    "    effect: deny",
    "",
  ].join("\n"),
);
/** A rule with a misspelt purpose on line 8. */
const BAD = [
  "version: 1",
  "name: Bad",
  "break-glass-expires-after: PT4H",
  "rules:",
  "  - id: x",
  "    description: y",
  "    when:",
  "      purpose: [direct-kare]",
  "    effect: deny",
  "",
].join("\n");

const dir = mkdtempSync(join(tmpdir(), "tfg-policy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TFG_POLICY", () => {
  it("is the area's protocol when given, and the baseline's rules stay out of it", () => {
    expect(BASELINE_POLICY_TEXT).toContain("rules:\n");
    const config = parseConfig({ TFG_POLICY: CLOSED, TFG_POLICY_NAME: "area.yaml" });
    expect(config.policy?.file).toBe("area.yaml");
    expect(config.policy?.rules[0]?.id).toBe("area-direct-care-closed");
    expect(parseConfig({}).policy).toBeUndefined();
    expect(parseConfig({ TFG_POLICY: "  \n" }).policy).toBeUndefined();
  });

  it("refuses a bad protocol with a ConfigError naming the variable, the file and the line", () => {
    const attempt = () => parseConfig({ TFG_POLICY: BAD, TFG_POLICY_NAME: "area.yaml" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /^Invalid configuration: TFG_POLICY: area\.yaml:8:\d+: rules\[0\]\.when\.purpose\[0\]: [^;]*$/,
    );
  });

  it("decides reads: the area's first rule denies what the baseline permits, and the audit names it", async () => {
    const own = async (env: Record<string, string>) => {
      const t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), env);
      const created = await t.fhir("/fhir/Patient", {
        method: "POST",
        json: { resourceType: "Patient", identifier: [{ system: "urn:test", value: "area-1" }] },
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const read = await t.fhir(`/fhir/Patient/${id}`);
      const log = await t.store.readLog(AUDIT_STREAM, 0, 1000);
      await t.store.close();
      return { status: read.status, audit: JSON.stringify(log.at(-1)?.payload) };
    };
    const baseline = await own({});
    expect(baseline.status).toBe(200);
    expect(baseline.audit).toContain("recording-organisation");
    const area = await own({ TFG_POLICY: CLOSED });
    expect(area.status).not.toBe(200);
    expect(area.audit).toContain("area-direct-care-closed");
  });
  it("decides who reads the reports: an area that lets practitioners read the worklist", async () => {
    const permits =
      "    when:\n      access: [person-list]\n      org-type: [mh-trust, drug-alcohol-service, la-childrens-services]\n      role: [manager, safeguarding-lead, system]";
    expect(BASELINE_POLICY_TEXT).toContain(permits);
    const open = BASELINE_POLICY_TEXT.replace(
      permits,
      permits.replace("role: [manager,", "role: [practitioner, manager,"),
    );
    const worklist = async (env: Record<string, string>) => {
      const t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), env);
      const status = (await t.fhir("/reports/worklist")).status;
      await t.store.close();
      return status;
    };
    expect(await worklist({})).toBe(403);
    expect(await worklist({ TFG_POLICY: open })).toBe(200);
  });
});

describe("TFG_POLICY_FILE (Node)", () => {
  it("is read into TFG_POLICY, named by its path", () => {
    const file = join(dir, "area.yaml");
    writeFileSync(file, CLOSED);
    const env = nodeEnv({ TFG_POLICY_FILE: file });
    expect(env.TFG_POLICY).toBe(CLOSED);
    expect(parseConfig(env).policy?.file).toBe(file);
  });

  it("stops the start when the file cannot be read, naming the variable and the path", () => {
    const missing = join(dir, "missing.yaml");
    expect(() => nodeEnv({ TFG_POLICY_FILE: missing })).toThrow(`TFG_POLICY_FILE: cannot read ${missing} (ENOENT)`);
  });

  it("stops the start on a bad file, naming its path and line, before anything listens", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, BAD);
    const data = join(dir, "data");
    await expect(
      startNodeServer({ env: { TFG_POLICY_FILE: file, TFG_DATA_DIR: data, TFG_PORT: "0" }, deliver: false }),
    ).rejects.toThrow(`TFG_POLICY: ${file}:8:`);
  });
});
