// The household-has-children scorer: an adult whose child is known only from a CPA household section of an adult in
// another household (a parent it does not live with) is counted under its own split; one listed by an adult of its
// own household is not.
import { describe, expect, it } from "vitest";
import { type ProductOutput, scoreHouseholdHasChildren } from "../../src/linkage-score/score.js";
import type { GroundTruth, TruthPerson } from "../../src/linkage-score/truth.js";

const ID = "https://think-family-gateway.example/fhir/Id";

const person = (
  personId: string,
  kind: TruthPerson["kind"],
  householdId: string,
  sources: Partial<TruthPerson["sources"]>,
) =>
  ({
    personId,
    kind,
    householdId,
    sources: {
      cpa: null,
      cpaHouseholdListings: [],
      ssd: null,
      ssdRelatedPeople: [],
      ndtms: null,
      cin: null,
      ...sources,
    },
  }) as TruthPerson;

const cpa = (localPatientId: string) => ({ org: "RX4", localPatientId, nhsNumberWritten: null, uprnWritten: null });
const listing = (localPatientId: string, child: string) => ({
  org: "RX4",
  localPatientId,
  childLocalId: `${localPatientId}-${child}`,
  nhsNumberWritten: null,
});

const truth: GroundTruth = {
  referenceDate: "2026-03-31",
  households: [
    { householdId: "H1", uprn: "1", members: [{ personId: "A1" }, { personId: "K1" }] },
    { householdId: "H2", uprn: "2", members: [{ personId: "A2" }, { personId: "K2" }] },
    { householdId: "H3", uprn: "3", members: [{ personId: "L3" }] },
  ],
  people: [
    // K1 lives with A1 and is listed only by L3 (H3), who it does not live with.
    person("A1", "adult", "H1", { cpa: cpa("A1") }),
    person("K1", "child", "H1", { cpaHouseholdListings: [listing("L3", "K1")] }),
    person("L3", "adult", "H3", { cpa: cpa("L3") }),
    // K2 is listed by A2, who it lives with.
    person("A2", "adult", "H2", { cpa: cpa("A2") }),
    person("K2", "child", "H2", { cpaHouseholdListings: [listing("A2", "K2")] }),
  ],
  noise: [],
};

const record = (id: string, minor = false) => ({ id, hasNhsNumber: false, hasUprn: false, uprns: [], minor });

const product: ProductOutput = {
  recordIds: new Map([
    [`${ID}/mhsds-local-patient/RX4|A1`, "a1"],
    [`${ID}/mhsds-local-patient/RX4|L3`, "l3"],
    [`${ID}/mhsds-local-patient/RX4|A2`, "a2"],
    [`${ID}/cpa-household-child/RX4|L3/L3-K1`, "k1"],
    [`${ID}/cpa-household-child/RX4|A2/A2-K2`, "k2"],
  ]),
  records: new Map([
    ["a1", record("a1")],
    ["l3", record("l3")],
    ["a2", record("a2")],
    ["k1", record("k1", true)],
    ["k2", record("k2", true)],
  ]),
  persons: [["a1"], ["l3"], ["a2"], ["k1"], ["k2"]],
  households: [["a2", "k2"]],
  hasChildrenFlags: new Set(["a2"]),
};

describe("household-has-children splits", () => {
  it("counts an adult whose child is known only to an adult elsewhere under child-known-only-to-an-adult-elsewhere", () => {
    const section = scoreHouseholdHasChildren(truth, product);
    expect(section.misses).toEqual([
      { personId: "A1", outcome: "fn", splits: ["shares-neither", "child-known-only-to-an-adult-elsewhere"] },
    ]);
    const row = section.rows.find((r) => r.split === "child-known-only-to-an-adult-elsewhere");
    expect([row?.tp, row?.fn]).toEqual([0, 1]);
    const listed = section.rows.find((r) => r.split === "listed-in-adults-cpa-record");
    expect([listed?.tp, listed?.fn]).toEqual([1, 0]);
  });
});
