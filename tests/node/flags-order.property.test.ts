// Property tests of the flags deriver (fast-check): the Flags it derives do not depend on the order of the touched
// keys, on repeated keys, or on re-running; and the Flags that hold do not depend on the order the records arrive in
// (one source file, link or household at a time, deriving after each). A Flag one order raised and a later record
// withdrew stays as `inactive` history, which another order may never have needed: such Flags are inactive.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { storeView } from "../../src/derive/store-view.js";
import { flagsDeriver } from "../../src/flags/deriver.js";
import { provenanceId } from "../../src/flags/resources.js";
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
  snapshot,
} from "./flags-fixtures.js";

const ID = "https://think-family-gateway.example/fhir/Id";
const NDTMS_HEADER = readFileSync("tests/golden/ndtms/input.csv", "utf8").split("\n")[0] as string;
const ndtmsCsv = (values: Record<string, string>) =>
  `${NDTMS_HEADER}\n${NDTMS_HEADER.split(",")
    .map((c) => values[c] ?? "NA")
    .join(",")}`;

type Step = (store: Store, ids: Ids) => Promise<unknown>;
interface Ids {
  adult: string;
  k1: string;
  ch1: string;
  ndtms: string;
}

const STEPS: Record<string, Step> = {
  cpa: (s) =>
    ingestCpa(s, [
      {
        MHS001MPI: {
          LocalPatientId: "P1",
          OrgIDLocalPatientId: "RX4",
          PersonBirthDate: "1985-04-02",
          GenderIDCode: "2",
        },
        MHS701CPACareEpisode: [{ CPAEpisodeId: "E1", StartDateCPA: "2025-01-01" }],
        Household: {
          AssessmentDate: "2025-02-01",
          ChildrenQuestion: "Y",
          Pregnant: "Y",
          ExpectedDeliveryDate: "2026-11-01",
          Children: [{ ChildLocalId: "K1", PersonBirthDate: "2016-04-04", LivesWithPatient: "Y", YoungCarer: "Y" }],
        },
      },
    ]),
  ssd: (s) =>
    ingestSsd(s, {
      ssd_person: [{ pers_person_id: "CH1", pers_dob: "2016-04-04", pers_sex: "F" }],
      ssd_cin_episodes: [{ cine_referral_id: "R1", cine_person_id: "CH1", cine_referral_date: "2025-02-10" }],
      ssd_cp_plans: [
        {
          cppl_cp_plan_id: "CP1",
          cppl_person_id: "CH1",
          cppl_cp_plan_start_date: "2025-03-01",
          cppl_cp_plan_end_date: "2026-01-31",
          cppl_cp_plan_initial_category: "Neglect",
          cppl_cp_plan_latest_category: "Neglect",
        },
      ],
    }),
  ndtms: (s) =>
    ingestNdtms(
      s,
      ndtmsCsv({
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
    ),
  linkChild: (s, ids) => put(s, person("person-k", [ids.k1, ids.ch1])),
  linkAdult: (s, ids) => put(s, person("person-a", [ids.adult, ids.ndtms])),
  household: (s, ids) => put(s, household("g1", [{ patient: ids.adult, start: "2020-01-01" }, { patient: ids.k1 }])),
};
const CANONICAL = Object.keys(STEPS);

async function loadIds(): Promise<Ids> {
  const s = await openStore();
  for (const k of ["cpa", "ssd", "ndtms"]) await (STEPS[k] as Step)(s, {} as Ids);
  const ids = {
    adult: await patientId(s, `${ID}/mhsds-local-patient/RX4`, "P1"),
    k1: await patientId(s, `${ID}/cpa-household-child/RX4`, "P1/K1"),
    ch1: await patientId(s, `${ID}/cin-la-child/201`, "CH1"),
    ndtms: await patientId(s, `${ID}/ndtms-client/N0852`, "C1"),
  };
  await s.close();
  return ids;
}

/** Every stored Flag: id → status, period, and whether it holds (its Provenance names more than its subject). */
async function flags(store: Store) {
  const view = storeView(store);
  const out = new Map<string, { status: unknown; period: unknown; holds: boolean }>();
  for (const f of await view.find("Flag", [{ kind: "token", param: "_tag", values: [{ value: "tfg-gateway" }] }])) {
    const prov = await view.read("Provenance", provenanceId(f.id));
    out.set(f.id, { status: f.status, period: f.period, holds: ((prov?.entity as unknown[]) ?? []).length > 1 });
  }
  return out;
}

describe("flags deriver properties", () => {
  it("touched-key order, repeats and re-running change nothing", async () => {
    const ids = await loadIds();
    const store = await openStore();
    const before = await snapshot(store);
    for (const k of CANONICAL) await (STEPS[k] as Step)(store, ids);
    const touched = changed(before, await snapshot(store));
    const reference = (await flagsDeriver.derive({ view: storeView(store), touched })).resources;
    expect(reference.filter((r) => r.resourceType === "Flag").length).toBeGreaterThan(8);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(touched, { minLength: touched.length, maxLength: touched.length }),
        fc.array(fc.constantFrom(...touched), { maxLength: 10 }),
        async (order, repeats) => {
          const out = await flagsDeriver.derive({ view: storeView(store), touched: [...order, ...repeats] });
          expect(out.resources).toEqual(reference);
        },
      ),
      { numRuns: 25 },
    );
    await deriveAndCommit(store, flagsDeriver, touched);
    expect((await deriveAndCommit(store, flagsDeriver, touched)).written).toEqual([]);
    await store.close();
  });

  it("the flags that hold do not depend on the order the records arrive in", async () => {
    const ids = await loadIds();
    const run = async (order: readonly string[]) => {
      const store = await openStore();
      for (const k of order) {
        const before = await snapshot(store);
        await (STEPS[k] as Step)(store, ids);
        await deriveAndCommit(store, flagsDeriver, changed(before, await snapshot(store)));
      }
      const out = await flags(store);
      await store.close();
      return out;
    };
    const reference = await run(CANONICAL);
    const holding = [...reference.values()].filter((f) => f.holds).length;
    expect(holding).toBeGreaterThan(8);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(CANONICAL, { minLength: CANONICAL.length, maxLength: CANONICAL.length }),
        async (order) => {
          const got = await run(order);
          for (const id of new Set([...reference.keys(), ...got.keys()])) {
            const a = reference.get(id);
            const b = got.get(id);
            if (a?.holds || b?.holds) expect(b).toEqual(a);
            else expect([a?.status ?? "inactive", b?.status ?? "inactive"]).toEqual(["inactive", "inactive"]);
          }
        },
      ),
      { numRuns: 6 },
    );
  });
});
