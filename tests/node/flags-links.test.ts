// Issue 9 Must-show: undoing a wrong automatic link removes the flags it caused (they become inactive, never
// deleted), and a possible match waiting in the review queue (a Task) raises nothing until it is accepted (a Person
// link). Real CPA, NDTMS and SSD ingest into SQLite; Person, Task and Group written by hand where the person index
// and households would write them.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { flagsDeriver } from "../../src/flags/deriver.js";
import type { Store } from "../../src/store/port.js";
import {
  changed,
  deriveAndCommit,
  household,
  ingestCpa,
  ingestNdtms,
  ingestSsd,
  openStore,
  patientId,
  person,
  put,
  remove,
  snapshot,
  statusesOn,
} from "./flags-fixtures.js";

const ID = "https://think-family-gateway.example/fhir/Id";
const NDTMS_HEADER = readFileSync("tests/golden/ndtms/input.csv", "utf8").split("\n")[0] as string;
const ndtmsRow = (values: Record<string, string>) =>
  `${NDTMS_HEADER}\n${NDTMS_HEADER.split(",")
    .map((c) => values[c] ?? "NA")
    .join(",")}`;

/** Applies `change` and derives over exactly the keys it changed. */
async function step(store: Store, change: () => Promise<unknown>) {
  const before = await snapshot(store);
  await change();
  return deriveAndCommit(store, flagsDeriver, changed(before, await snapshot(store)));
}

const possibleMatch = (a: string, b: string) => ({
  resourceType: "Task",
  id: "pm-1",
  meta: { source: "urn:tfg:derived:person-index" },
  status: "requested",
  intent: "proposal",
  code: {
    coding: [{ system: "https://think-family-gateway.example/fhir/CodeSystem/task-code", code: "possible-match" }],
  },
  focus: { reference: `Patient/${a}` },
  for: { reference: `Patient/${b}` },
  input: [{ type: { text: "name" }, valueString: "agree" }],
});

describe("flags follow person links", () => {
  it("a parental status on a linked record raises on both records; undoing the link makes the caused flag inactive", async () => {
    const store = await openStore();
    await step(store, async () => {
      await ingestCpa(store, [
        {
          MHS001MPI: { LocalPatientId: "P1", OrgIDLocalPatientId: "RX4", PersonBirthDate: "1985-04-02" },
          MHS701CPACareEpisode: [{ CPAEpisodeId: "E1", StartDateCPA: "2025-01-01" }],
        },
      ]);
      await ingestNdtms(
        store,
        ndtmsRow({
          FINITIAL: "A",
          SINITIAL: "B",
          DOB: "1985-04-02",
          SEX: "2",
          REFLD: "2026-01-10",
          AGNCY: "N0852",
          CLIENTID: "C1",
          EPISODID: "E1",
          CONSENT: "Y",
          PRNTSTAT: "11",
          TRIAGED: "2026-01-12",
        }),
      );
    });
    const cpa = await patientId(store, `${ID}/mhsds-local-patient/RX4`, "P1");
    const ndtms = await patientId(store, `${ID}/ndtms-client/N0852`, "C1");
    expect(await statusesOn(store, cpa)).toEqual({ "children-status-not-recorded": "active" });

    // The person index links the two records (automatically, and wrongly).
    await step(store, () => put(store, person("person-1", [cpa, ndtms])));
    expect(await statusesOn(store, cpa)).toEqual({
      "children-status-not-recorded": "inactive",
      "household-has-children": "active",
    });
    expect(await statusesOn(store, ndtms)).toEqual({ "household-has-children": "active" });

    // Undone: the Person no longer links the NDTMS record. Only the Person is touched.
    const undo = await step(store, () => put(store, person("person-1", [cpa])));
    expect(undo.written.length).toBeGreaterThan(0);
    expect(await statusesOn(store, cpa)).toEqual({
      "children-status-not-recorded": "active",
      "household-has-children": "inactive",
    });
    expect(await statusesOn(store, ndtms)).toEqual({ "household-has-children": "active" });
    await store.close();
  });

  it("a child linked into an adult's household shows the child's CP plan on the adult; deleting the link makes it inactive; a possible match raises nothing until accepted", async () => {
    const store = await openStore();
    await step(store, async () => {
      await ingestCpa(store, [
        {
          MHS001MPI: {
            LocalPatientId: "P1",
            OrgIDLocalPatientId: "RX4",
            PersonBirthDate: "1985-04-02",
            UPRN: "100000000555",
          },
          MHS701CPACareEpisode: [{ CPAEpisodeId: "E1", StartDateCPA: "2025-01-01" }],
          Household: {
            AssessmentDate: "2025-02-01",
            ChildrenQuestion: "Y",
            Children: [
              { ChildLocalId: "K1", PersonGivenName: "Kim", PersonBirthDate: "2016-04-04", LivesWithPatient: "Y" },
            ],
          },
        },
      ]);
      await ingestSsd(store, {
        ssd_person: [{ pers_person_id: "CH1", pers_forename: "Kim", pers_dob: "2016-04-04", pers_sex: "F" }],
        ssd_cp_plans: [
          {
            cppl_cp_plan_id: "CP1",
            cppl_person_id: "CH1",
            cppl_cp_plan_start_date: "2025-03-01",
            cppl_cp_plan_initial_category: "Neglect",
            cppl_cp_plan_latest_category: "Neglect",
          },
        ],
      });
    });
    const adult = await patientId(store, `${ID}/mhsds-local-patient/RX4`, "P1");
    const k1 = await patientId(store, `${ID}/cpa-household-child/RX4`, "P1/K1");
    const ch1 = await patientId(store, `${ID}/cin-la-child/201`, "CH1");
    // The households deriver puts the CPA household section's child with the adult.
    await step(store, () => put(store, household("g1", [{ patient: adult }, { patient: k1 }])));
    expect((await statusesOn(store, adult))["child-protection-plan"]).toBeUndefined();
    expect((await statusesOn(store, k1))["parent-in-adult-services"]).toBe("active");

    // A possible match between the CPA child and the case-record child waits for review: nothing is raised.
    const queued = await step(store, () => put(store, possibleMatch(k1, ch1)));
    expect(queued.written).toEqual([]);
    expect((await statusesOn(store, adult))["child-protection-plan"]).toBeUndefined();

    // Accepted: the person index links them. The adult now shows the child's CP plan, and so does the CPA child record.
    await step(store, () => put(store, person("person-k", [k1, ch1])));
    expect((await statusesOn(store, adult))["child-protection-plan"]).toBe("active");
    expect((await statusesOn(store, k1))["child-protection-plan"]).toBe("active");
    expect((await statusesOn(store, ch1))["parent-in-adult-services"]).toBe("active");

    // The link is undone (the Person deleted): the flags it caused become inactive; the case-record child keeps its own.
    await step(store, () => remove(store, "Person/person-k"));
    expect((await statusesOn(store, adult))["child-protection-plan"]).toBe("inactive");
    expect((await statusesOn(store, k1))["child-protection-plan"]).toBe("inactive");
    expect((await statusesOn(store, ch1))["parent-in-adult-services"]).toBe("inactive");
    expect((await statusesOn(store, ch1))["child-protection-plan"]).toBe("active");
    await store.close();
  });
});
