// The person index's candidate search (src/linkage/blocking.ts candidatesOf) and RelatedPersons: none searched for
// where the store holds none; found where one exists (pending ones: tests/node/households-related-person.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeriveView } from "../../src/derive/port.js";
import { storeView } from "../../src/derive/store-view.js";
import { candidatesOf } from "../../src/linkage/blocking.js";
import { featuresOf } from "../../src/linkage/features.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { put } from "../support/notify-fixtures.js";

const NHS = "https://fhir.nhs.uk/Id/nhs-number";
const patient = (id: string, nhs: string) => ({
  resourceType: "Patient",
  id,
  identifier: [{ system: NHS, value: nhs }],
  name: [{ family: "Testperson", given: ["Alex"] }],
  birthDate: "1990-03-04",
  gender: "female",
});
/** A relative named in another patient's record, with the same NHS number and birth date as `p1`. */
const relative = {
  resourceType: "RelatedPerson",
  id: "rp1",
  patient: { reference: "Patient/child1" },
  identifier: [{ system: NHS, value: "9990000018" }],
  name: [{ family: "Testperson", given: ["Alex"] }],
  birthDate: "1990-03-04",
  gender: "female",
};

let store: Store;
beforeAll(async () => {
  store = await openSqliteStore(":memory:", loadMigrations());
  await put(store, [patient("p2", "9990000026")]);
});
afterAll(async () => store.close());

/** `view` with each RelatedPerson ask counted. */
function counted(view: DeriveView) {
  let asks = 0;
  const v: DeriveView = {
    ...view,
    findWithin: (t, c, l) => {
      if (t === "RelatedPerson") asks++;
      return view.findWithin(t, c, l);
    },
  };
  return { v, asks: () => asks };
}

describe("candidatesOf and RelatedPersons", () => {
  it("asks once whether any exists, and no more, where none does", async () => {
    const { v, asks } = counted(storeView(store));
    const found = await candidatesOf(v, featuresOf(patient("p1", "9990000018")));
    expect(found.map((r) => `${r.resourceType}/${r.id}`)).toEqual(["Patient/p2"]);
    expect(asks()).toBe(1);
  });

  it("a committed one is found by its NHS number and birth date", async () => {
    await put(store, [relative]);
    const { v, asks } = counted(storeView(store));
    const found = await candidatesOf(v, featuresOf(patient("p1", "9990000018")));
    expect(found.filter((r) => r.resourceType === "RelatedPerson").map((r) => r.id)).toEqual(["rp1"]);
    expect(asks()).toBeGreaterThan(1);
  });
});
