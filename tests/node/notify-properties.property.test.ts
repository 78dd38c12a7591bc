// Properties of notifications: the deriver's messages do not depend on the order or repetition of touched keys, and the
// retry schedule never shrinks, never exceeds its ceiling and starts at the base delay.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { storeView } from "../../src/derive/store-view.js";
import { retryDelaySeconds } from "../../src/notify/deliver.js";
import { notificationsDeriver } from "../../src/notify/deriver.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { owned, put, storedSubscription } from "../support/notify-fixtures.js";

const SET = "https://think-family-gateway.example/fhir/CodeSystem/service-event-type";
const CODES = ["admission", "discharge", "planned-discharge", "discharge-meeting", "did-not-attend", "cpa-review"];
let store: Store;

beforeAll(async () => {
  store = await openSqliteStore(":memory:", loadMigrations());
  await put(store, [
    owned("tfg-gateway", "TFG-Household", {
      resourceType: "Group",
      id: "h",
      type: "person",
      actual: true,
      member: [{ entity: { reference: "Patient/a" } }, { entity: { reference: "Patient/c" } }],
    }),
    owned("201", "TFG-ChildProtectionPlan", {
      resourceType: "CarePlan",
      id: "cp",
      status: "active",
      intent: "plan",
      subject: { reference: "Patient/c" },
      period: { start: "2026-01-01" },
    }),
    storedSubscription("s1", "201", "https://la.example/1"),
    storedSubscription("s2", "201", "https://la.example/2"),
    ...CODES.map((code, i) =>
      owned("RX4", "TFG-AdultServiceEvent", {
        resourceType: "Encounter",
        id: `e${i}`,
        status: "finished",
        class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
        type: [{ coding: [{ system: SET, code }] }],
        subject: { reference: "Patient/a" },
        period: { start: `2026-10-0${i + 1}` },
      }),
    ),
  ]);
});

const ids = async (touched: string[]) =>
  ((await notificationsDeriver.derive({ view: storeView(store), touched })).outbox ?? []).map((m) => m.id);

describe("notification properties", () => {
  it("the same writes give the same messages, in any order, with keys repeated", async () => {
    const all = [...CODES.map((_, i) => `Encounter/e${i}`), "Group/h", "CarePlan/cp", "Patient/a"];
    const reference = await ids(all);
    expect(reference).toHaveLength(10); // five notifiable events × two Subscriptions
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(all, { minLength: all.length }),
        fc.array(fc.constantFrom(...all)),
        async (order, extra) => {
          expect(await ids([...order, ...extra])).toEqual(reference);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("retry delays start at the base, never shrink and never pass the ceiling", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 86_400 }),
        fc.integer({ min: 1, max: 60 }),
        (base, max, n) => {
          expect(retryDelaySeconds(1, base, max)).toBe(Math.min(base, max));
          expect(retryDelaySeconds(n + 1, base, max)).toBeGreaterThanOrEqual(retryDelaySeconds(n, base, max));
          expect(retryDelaySeconds(n, base, max)).toBeLessThanOrEqual(max);
        },
      ),
    );
  });
});
