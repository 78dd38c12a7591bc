// An area's sharing protocol in workerd (TFG_POLICY, a wrangler var or secret): it decides reads there as on Node,
// and while it is invalid the Worker answers 503 with an OperationOutcome, the problem (with its line) in the log.
import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { BASELINE_POLICY_TEXT } from "../../src/policy/baseline.generated.js";
import worker from "../../src/runtime/worker.js";
import { d1Store } from "../../src/store/d1/index.js";
import { createTestApp } from "../support/test-app.js";

const CLOSED = BASELINE_POLICY_TEXT.replace(
  "rules:\n",
  "rules:\n  - id: area-direct-care-closed\n    description: Closed.\n    when:\n      purpose: [direct-care]\n    effect: deny\n",
);

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

describe("TFG_POLICY in workerd", () => {
  it("decides reads by the area's rules", async () => {
    const t = await createTestApp(d1Store(env.DB), { TFG_POLICY: CLOSED });
    const created = await t.fhir("/fhir/Patient", {
      method: "POST",
      json: { resourceType: "Patient", identifier: [{ system: "urn:test", value: "area-w-1" }] },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await t.fhir(`/fhir/Patient/${id}`)).status).not.toBe(200);
  });

  it("answers 503 while the protocol is invalid, and logs the line", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await worker.fetch(
      new Request("http://gw.test/fhir/metadata"),
      { DB: env.DB, TFG_POLICY: "version: 1\nname: x\nbreak-glass-expires-after: PT4H\nrules: []\n" },
      { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
    );
    expect(res.status).toBe(503);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe("OperationOutcome");
    expect(String(logged.mock.calls[0]?.[0])).toMatch(/TFG_POLICY: TFG_POLICY:4:\d+: rules/);
    logged.mockRestore();
  });
});
