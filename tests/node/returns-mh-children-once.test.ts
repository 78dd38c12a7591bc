// mh-children counts adults, not episodes: an adult whose CPA episode ends and another starts in the same quarter at the
// same provider is one adult on CPA there; at two providers they count at each. Ten adults count 10; thirteen 15.
import { afterEach, describe, expect, it } from "vitest";
import { RECORD_OWNER_SYSTEM } from "../../src/auth/ownership.js";
import { prepareWrite } from "../../src/fhir/resource-service.js";
import { EPISODE_TYPE_SYSTEM } from "../../src/reports/codes.js";
import { buildReturn } from "../../src/returns/build.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { testKeys } from "./returns-fixtures.js";

const NOW = "2026-04-02T00:00:00.000Z";
const owned = { tag: [{ system: RECORD_OWNER_SYSTEM, code: "RX4" }] };

const patient = (i: number) => ({ resourceType: "Patient", id: `a${i}`, meta: owned, birthDate: "1980-01-01" });
const episode = (id: string, i: number, provider: string, start: string, end?: string) => ({
  resourceType: "EpisodeOfCare",
  id,
  meta: owned,
  status: end ? "finished" : "active",
  type: [{ coding: [{ system: EPISODE_TYPE_SYSTEM, code: "cpa" }] }],
  patient: { reference: `Patient/a${i}` },
  managingOrganization: { identifier: { system: "https://fhir.nhs.uk/Id/ods-organization-code", value: provider } },
  period: { start, ...(end ? { end } : {}) },
});

let store: Store | undefined;
afterEach(() => store?.close());

/** Ten adults with one episode open all quarter, and `second` of them with an episode that ended in it first. */
async function adultsOnCpa(second: number, provider: (i: number) => string): Promise<Map<string, unknown>> {
  store = await openSqliteStore(":memory:", loadMigrations());
  const resources: Record<string, unknown>[] = [];
  for (let i = 0; i < 10; i++) {
    resources.push(patient(i), episode(`e${i}`, i, "RX4", "2026-01-20"));
    if (i < second) resources.push(episode(`f${i}`, i, provider(i), "2025-06-01", "2026-01-19"));
  }
  await store.commit({
    resources: resources.map((r) => prepareWrite(r.resourceType as string, r.id as string, 1, NOW, r as never)),
  });
  const built = await buildReturn(
    { kind: "mh-children", period: { start: "2026-01-01", end: "2026-03-31" }, scope: {} },
    { store, keys: testKeys },
  );
  const json = JSON.parse(new TextDecoder().decode(built.files[1]?.bytes)) as {
    rows: { provider: string; adults_on_cpa: unknown }[];
  };
  return new Map(json.rows.map((r) => [r.provider, r.adults_on_cpa]));
}

describe("mh-children counts each adult once per provider and quarter", () => {
  it("ten adults, three of them with two episodes in the quarter: 10, not 15", async () => {
    expect((await adultsOnCpa(0, () => "RX4")).get("RX4")).toBe(10);
    expect((await adultsOnCpa(3, () => "RX4")).get("RX4")).toBe(10);
  });

  it("an adult with episodes at two providers counts at each", async () => {
    const counts = await adultsOnCpa(10, () => "RT9");
    expect(counts.get("RX4")).toBe(10);
    expect(counts.get("RT9")).toBe(10);
  });
});
