// Issue 9 Must-show: a case-record feed puts a child on a CP plan in a household with an adult on CPA. Real ingest of
// a CPA file and an SSD feed into SQLite, the household Group built by hand where the households deriver would write
// it, then the flags deriver over the committed store: child-protection-plan on the child and on the adult,
// parent-in-adult-services on the child; the plan's end date makes the CP plan flags inactive on both; re-sending
// either file and re-deriving changes nothing.
import { describe, expect, it } from "vitest";
import { validateResource } from "../../src/fhir/validation/index.js";
import { flagsDeriver } from "../../src/flags/deriver.js";
import { flagId, provenanceId } from "../../src/flags/resources.js";
import {
  changed,
  deriveAndCommit,
  flagsOn,
  household,
  ingestCpa,
  ingestSsd,
  nhs,
  openStore,
  patientId,
  put,
  snapshot,
  statusesOn,
} from "./flags-fixtures.js";

const UPRN = "100000000777";
const LA = "201";

const cpaAdult = () => [
  {
    MHS001MPI: {
      LocalPatientId: "PX1",
      OrgIDLocalPatientId: "RX4",
      NHSNumber: nhs(100),
      PersonBirthDate: "1985-05-05",
      GenderIDCode: "2",
      PersonGivenName: "Alexa",
      PersonFamilyName: "Sampleperson",
      Postcode: "ZZ99 7AA",
      UPRN,
    },
    MHS701CPACareEpisode: [{ CPAEpisodeId: "CPA77", StartDateCPA: "2025-01-01" }],
    Household: { AssessmentDate: "2025-02-01", ChildrenQuestion: "Z" },
  },
];

const ssdFeed = (planEnd?: string) => ({
  ssd_person: [
    {
      pers_person_id: "CHX1",
      pers_forename: "Kit",
      pers_surname: "Sampleperson",
      pers_dob: "2016-04-04",
      pers_sex: "M",
    },
  ],
  ssd_address: [
    {
      addr_table_id: "AX1",
      addr_person_id: "CHX1",
      addr_address_type: "Primary Address",
      addr_address_start_date: "2020-01-01",
      addr_address_postcode: "ZZ99 7AA",
      addr_address_json: JSON.stringify({ HOUSE: "7", STREET: "Sample Street", TOWN: "Sampleton", UPRN }),
    },
  ],
  ssd_cin_episodes: [{ cine_referral_id: "RX1", cine_person_id: "CHX1", cine_referral_date: "2025-02-10" }],
  ssd_cp_plans: [
    {
      cppl_cp_plan_id: "CPX1",
      cppl_referral_id: "RX1",
      cppl_person_id: "CHX1",
      cppl_cp_plan_start_date: "2025-03-01",
      ...(planEnd ? { cppl_cp_plan_end_date: planEnd } : {}),
      cppl_cp_plan_initial_category: "Neglect",
      cppl_cp_plan_latest_category: "Neglect",
    },
  ],
});

describe("flags: a child on a CP plan in a household with an adult on CPA", () => {
  it("raises child-protection-plan on both and parent-in-adult-services on the child; the plan's end makes the plan flags inactive; re-sending changes nothing", async () => {
    const store = await openStore();
    let before = await snapshot(store);
    await ingestCpa(store, cpaAdult());
    await ingestSsd(store, ssdFeed(), LA);
    const adult = await patientId(store, "https://think-family-gateway.example/fhir/Id/mhsds-local-patient/RX4", "PX1");
    const child = await patientId(store, `https://think-family-gateway.example/fhir/Id/cin-la-child/${LA}`, "CHX1");
    await put(
      store,
      household("hh-uprn-777", [
        { patient: adult, start: "2020-01-01" },
        { patient: child, start: "2020-01-01" },
      ]),
    );
    let after = await snapshot(store);
    const first = await deriveAndCommit(store, flagsDeriver, changed(before, after));

    expect(await flagsOn(store, adult)).toEqual({
      "child-in-need": { status: "active", period: { start: "2025-02-10" } },
      "child-protection-plan": { status: "active", period: { start: "2025-03-01" } },
      "household-has-children": { status: "active", period: { start: "2020-01-01", end: "2034-04-04" } },
    });
    expect(await flagsOn(store, child)).toEqual({
      "child-protection-plan": { status: "active", period: { start: "2025-03-01" } },
      "child-in-need": { status: "active", period: { start: "2025-02-10" } },
      "parent-in-adult-services": { status: "active", period: { start: "2025-01-01", end: "2034-04-04" } },
    });
    // Every derived resource is valid against its profile (recorded as the runner sets it).
    for (const r of first.output.resources) {
      const body = r.resourceType === "Provenance" ? { ...r, recorded: "2031-01-01T00:00:00Z" } : r;
      expect(validateResource(body).filter((i) => i.severity === "error")).toEqual([]);
    }
    // The adult's CP plan flag rests on the plan, the household and the child's record.
    const prov = first.output.resources.find((r) => r.id === provenanceId(flagId("child-protection-plan", adult)));
    const entities = ((prov?.entity ?? []) as { what: { reference: string } }[]).map(
      (e) => e.what.reference.split("/")[0],
    );
    expect(entities).toEqual(expect.arrayContaining(["CarePlan", "Group", "Patient"]));

    // Re-deriving with nothing changed writes nothing.
    expect((await deriveAndCommit(store, flagsDeriver, changed(before, after))).written).toEqual([]);

    // Re-sending either file changes nothing, and derives nothing new.
    before = await snapshot(store);
    await ingestCpa(store, cpaAdult());
    await ingestSsd(store, ssdFeed(), LA);
    after = await snapshot(store);
    expect(changed(before, after)).toEqual([]);

    // The plan ends: both CP plan flags become inactive with the plan's end date; the child's parent is still on CPA.
    before = await snapshot(store);
    await ingestSsd(store, ssdFeed("2026-02-01"), LA);
    after = await snapshot(store);
    const touched = changed(before, after);
    expect(touched.some((k) => k.startsWith("CarePlan/"))).toBe(true);
    await deriveAndCommit(store, flagsDeriver, touched);
    expect(await statusesOn(store, adult)).toEqual({
      "child-in-need": "active",
      "child-protection-plan": "inactive",
      "household-has-children": "active",
    });
    expect((await flagsOn(store, adult))["child-protection-plan"]?.period).toEqual({
      start: "2025-03-01",
      end: "2026-02-01",
    });
    expect(await statusesOn(store, child)).toEqual({
      "child-protection-plan": "inactive",
      "child-in-need": "active",
      "parent-in-adult-services": "active",
    });
    // Re-sending the ended plan, and re-deriving, change nothing.
    before = await snapshot(store);
    await ingestSsd(store, ssdFeed("2026-02-01"), LA);
    after = await snapshot(store);
    expect(changed(before, after)).toEqual([]);
    expect((await deriveAndCommit(store, flagsDeriver, touched)).written).toEqual([]);
    await store.close();
  });
});
