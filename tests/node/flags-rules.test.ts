// Decision tables for every flag of DOMAIN.md §3 (docs/FLAGS.md): small hand-made CPA, NDTMS, CIN and SSD files
// through the real ingest into SQLite, Person and Group fixtures where the person index and households would
// write them, then the flags deriver over the committed store. Each row: raised (active), not raised, or inactive.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateResource } from "../../src/fhir/validation/index.js";
import { flagsDeriver } from "../../src/flags/deriver.js";
import type { Store } from "../../src/store/port.js";
import {
  changed,
  deriveAndCommit,
  flagsOn,
  household,
  ingestCin,
  ingestCpa,
  ingestNdtms,
  ingestSsd,
  nhs,
  openStore,
  patientId,
  put,
  snapshot,
  statusesOn,
} from "./flags-fixtures.js";

const ID = "https://think-family-gateway.example/fhir/Id";
const NDTMS_HEADER = readFileSync("tests/golden/ndtms/input.csv", "utf8").split("\n")[0] as string;

/** One NDTMS row: the golden file's columns, "NA" unless given. */
function ndtmsCsv(rows: Record<string, string>[]): string {
  const cols = NDTMS_HEADER.split(",");
  const base: Record<string, string> = {
    FINITIAL: "A",
    SINITIAL: "B",
    DOB: "1985-04-02",
    SEX: "2",
    ETHNIC: "A",
    NATION: "GBR",
    REFLD: "2026-01-10",
    AGNCY: "N0852",
    CONSENT: "Y",
    PC: "ZZ99 3AA",
    TRIAGED: "2026-01-12",
    DRUG1: "1011",
  };
  const line = (r: Record<string, string>) => cols.map((c) => r[c] ?? base[c] ?? "NA").join(",");
  return [NDTMS_HEADER, ...rows.map(line)].join("\n");
}

const cpaPatient = (id: string, extra: Record<string, unknown> = {}, mpi: Record<string, unknown> = {}) => ({
  MHS001MPI: {
    LocalPatientId: id,
    OrgIDLocalPatientId: "RX4",
    PersonBirthDate: "1980-01-01",
    GenderIDCode: "2",
    ...mpi,
  },
  MHS701CPACareEpisode: [{ CPAEpisodeId: `${id}-E`, StartDateCPA: "2025-01-01" }],
  ...extra,
});
const cpaId = (store: Store, id: string) => patientId(store, `${ID}/mhsds-local-patient/RX4`, id);
const ndtmsId = (store: Store, client: string) => patientId(store, `${ID}/ndtms-client/N0852`, client);
const ssdId = (store: Store, child: string, la = "201") => patientId(store, `${ID}/cin-la-child/${la}`, child);

/** Ingests with `load`, derives over every key it changed, and returns the store. */
async function derived(load: (store: Store) => Promise<void>): Promise<Store> {
  const store = await openStore();
  const before = await snapshot(store);
  await load(store);
  const out = await deriveAndCommit(store, flagsDeriver, changed(before, await snapshot(store)));
  for (const r of out.output.resources) {
    const body = r.resourceType === "Provenance" ? { ...r, recorded: "2031-01-01T00:00:00Z" } : r;
    expect(validateResource(body).filter((i) => i.severity === "error")).toEqual([]);
  }
  return store;
}

/** Loads, derives, then applies `change` and derives again over what it changed. */
async function derivedThen(load: (store: Store) => Promise<void>, change: (store: Store) => Promise<void>) {
  const store = await derived(load);
  const before = await snapshot(store);
  await change(store);
  await deriveAndCommit(store, flagsDeriver, changed(before, await snapshot(store)));
  return store;
}

describe("flags decision table: household-has-children (adult)", () => {
  it("raised by NDTMS PRNTSTAT 11 from the answer's date", async () => {
    const store = await derived(
      async (s) => void (await ingestNdtms(s, ndtmsCsv([{ CLIENTID: "C1", EPISODID: "E1", PRNTSTAT: "11" }]))),
    );
    expect((await flagsOn(store, await ndtmsId(store, "C1")))["household-has-children"]).toEqual({
      status: "active",
      period: { start: "2026-01-12" },
    });
  });
  it("not raised by PRNTSTAT 14 (not a parent)", async () => {
    const store = await derived(
      async (s) => void (await ingestNdtms(s, ndtmsCsv([{ CLIENTID: "C1", EPISODID: "E1", PRNTSTAT: "14" }]))),
    );
    expect(await statusesOn(store, await ndtmsId(store, "C1"))).toEqual({});
  });
  it("inactive once a later answer says otherwise (the record re-sent with no children in the household)", async () => {
    const household = (q: string, date: string) => ({
      Household: {
        AssessmentDate: date,
        ChildrenQuestion: q,
        Children: q === "Y" ? [{ ChildLocalId: "K1", PersonBirthDate: "2015-01-01", LivesWithPatient: "Y" }] : [],
      },
    });
    const store = await derivedThen(
      async (s) => void (await ingestCpa(s, [cpaPatient("P1", household("Y", "2025-02-01"))])),
      async (s) => void (await ingestCpa(s, [cpaPatient("P1", household("N", "2026-02-01"))])),
    );
    expect((await flagsOn(store, await cpaId(store, "P1")))["household-has-children"]?.status).toBe("inactive");
  });
  it("raised by a child under 18 in the adult's household, until the 18th birthday; inactive when the membership ended", async () => {
    const load = async (s: Store) => {
      await ingestCpa(s, [cpaPatient("P1", {}, { NHSNumber: nhs(1) })]);
      await ingestSsd(s, { ssd_person: [{ pers_person_id: "CH1", pers_dob: "2016-04-04", pers_sex: "F" }] });
      await put(
        s,
        household("g1", [
          { patient: await cpaId(s, "P1"), start: "2021-01-01" },
          { patient: await ssdId(s, "CH1"), start: "2020-01-01" },
        ]),
      );
    };
    const store = await derived(load);
    const adult = await cpaId(store, "P1");
    expect((await flagsOn(store, adult))["household-has-children"]).toEqual({
      status: "active",
      period: { start: "2021-01-01", end: "2034-04-04" },
    });
    const child = await ssdId(store, "CH1");
    const before = await snapshot(store);
    await put(
      store,
      household("g1", [
        { patient: adult, start: "2021-01-01", end: "2025-06-30" },
        { patient: child, start: "2020-01-01" },
      ]),
    );
    await deriveAndCommit(store, flagsDeriver, changed(before, await snapshot(store)));
    expect((await flagsOn(store, adult))["household-has-children"]).toEqual({
      status: "inactive",
      period: { start: "2021-01-01", end: "2025-06-30" },
    });
  });
  it("inactive when the child's 18th birthday is before the latest date in the data (never today)", async () => {
    const store = await derived(async (s) => {
      await ingestCpa(s, [cpaPatient("P1")]);
      await ingestSsd(s, { ssd_person: [{ pers_person_id: "CH1", pers_dob: "2000-02-29", pers_sex: "F" }] });
      await put(
        s,
        household("g1", [
          { patient: await cpaId(s, "P1"), start: "2010-01-01" },
          { patient: await ssdId(s, "CH1"), start: "2010-01-01" },
        ]),
      );
    });
    expect((await flagsOn(store, await cpaId(store, "P1")))["household-has-children"]).toEqual({
      status: "inactive",
      period: { start: "2010-01-01", end: "2018-03-01" },
    });
  });
  it("raised by an unborn child in the household; not raised on a child of the household", async () => {
    const store = await derived(async (s) => {
      await ingestCpa(s, [cpaPatient("P1")]);
      await ingestSsd(s, {
        ssd_person: [
          { pers_person_id: "U1", pers_expected_dob: "2026-09-01", pers_sex: "U" },
          { pers_person_id: "CH2", pers_dob: "2012-01-01", pers_sex: "M" },
        ],
      });
      await put(
        s,
        household("g1", [
          { patient: await cpaId(s, "P1") },
          { patient: await ssdId(s, "U1") },
          { patient: await ssdId(s, "CH2") },
        ]),
      );
    });
    expect((await statusesOn(store, await cpaId(store, "P1")))["household-has-children"]).toBe("active");
    // The 12-year-old lives with an unborn child: shown only from their own 18th birthday (2030), as an adult.
    expect((await flagsOn(store, await ssdId(store, "CH2")))["household-has-children"]).toEqual({
      status: "active",
      period: { start: "2030-01-01", end: "2044-09-01" },
    });
  });
});

describe("flags decision table: children-status-not-recorded (adult)", () => {
  it("raised by an open CPA episode whose parental status is not-recorded", async () => {
    const store = await derived(async (s) => void (await ingestCpa(s, [cpaPatient("P1")])));
    expect((await flagsOn(store, await cpaId(store, "P1")))["children-status-not-recorded"]).toEqual({
      status: "active",
      period: { start: "2025-01-01" },
    });
  });
  it("raised by an open NDTMS episode with PRNTSTAT NA", async () => {
    const store = await derived(
      async (s) => void (await ingestNdtms(s, ndtmsCsv([{ CLIENTID: "C1", EPISODID: "E1", PRNTSTAT: "NA" }]))),
    );
    expect((await statusesOn(store, await ndtmsId(store, "C1")))["children-status-not-recorded"]).toBe("active");
  });
  it("inactive once the episode closed", async () => {
    const store = await derived(async (s) => {
      await ingestCpa(s, [
        {
          ...cpaPatient("P1"),
          MHS701CPACareEpisode: [{ CPAEpisodeId: "E", StartDateCPA: "2024-01-01", EndDateCPA: "2024-12-31" }],
        },
      ]);
    });
    expect((await flagsOn(store, await cpaId(store, "P1")))["children-status-not-recorded"]).toEqual({
      status: "inactive",
      period: { start: "2024-01-01", end: "2024-12-31" },
    });
  });
  it("not raised when the question was answered, and inactive once it is", async () => {
    const answered = { Household: { AssessmentDate: "2025-02-01", ChildrenQuestion: "N" } };
    const store = await derived(async (s) => void (await ingestCpa(s, [cpaPatient("P1", answered)])));
    expect((await statusesOn(store, await cpaId(store, "P1")))["children-status-not-recorded"]).toBeUndefined();
    const later = await derivedThen(
      async (s) => void (await ingestCpa(s, [cpaPatient("P1")])),
      async (s) => void (await ingestCpa(s, [cpaPatient("P1", answered)])),
    );
    expect((await statusesOn(later, await cpaId(later, "P1")))["children-status-not-recorded"]).toBe("inactive");
  });
});

describe("flags decision table: parent-children-elsewhere and pregnant (adult)", () => {
  it("parent-children-elsewhere raised by PRNTSTAT 13, not by 11", async () => {
    const store = await derived(
      async (s) =>
        void (await ingestNdtms(
          s,
          ndtmsCsv([
            { CLIENTID: "C1", EPISODID: "E1", PRNTSTAT: "13" },
            { CLIENTID: "C2", EPISODID: "E1", PRNTSTAT: "11" },
          ]),
        )),
    );
    expect((await statusesOn(store, await ndtmsId(store, "C1")))["parent-children-elsewhere"]).toBe("active");
    expect((await statusesOn(store, await ndtmsId(store, "C2")))["parent-children-elsewhere"]).toBeUndefined();
  });
  it("pregnant raised by NDTMS PREGNANT Y, not by N", async () => {
    const store = await derived(
      async (s) =>
        void (await ingestNdtms(
          s,
          ndtmsCsv([
            { CLIENTID: "C1", EPISODID: "E1", PRNTSTAT: "14", PREGNANT: "Y" },
            { CLIENTID: "C2", EPISODID: "E1", PRNTSTAT: "14", PREGNANT: "N" },
          ]),
        )),
    );
    expect((await flagsOn(store, await ndtmsId(store, "C1"))).pregnant).toEqual({
      status: "active",
      period: { start: "2026-01-12" },
    });
    expect((await statusesOn(store, await ndtmsId(store, "C2"))).pregnant).toBeUndefined();
  });
  it("pregnant raised by a CPA record of pregnancy (answer and the linked unborn child, until the expected date)", async () => {
    const preg = {
      Household: {
        AssessmentDate: "2026-03-02",
        ChildrenQuestion: "N",
        Pregnant: "Y",
        ExpectedDeliveryDate: "2027-01-15",
      },
    };
    const store = await derived(async (s) => void (await ingestCpa(s, [cpaPatient("P4", preg)])));
    expect((await flagsOn(store, await cpaId(store, "P4"))).pregnant).toEqual({
      status: "active",
      period: { start: "2026-03-02" },
    });
  });
  it("pregnant raised on a mother by a linked unborn child (ssd_mother), ending at the expected birth date", async () => {
    const store = await derived(async (s) => {
      await ingestSsd(s, {
        ssd_person: [
          { pers_person_id: "M1", pers_dob: "2007-02-10", pers_sex: "F" },
          { pers_person_id: "U1", pers_expected_dob: "2026-06-01", pers_sex: "U" },
        ],
        ssd_mother: [{ moth_table_id: "MO1", moth_person_id: "M1", moth_childs_person_id: "U1" }],
      });
    });
    expect((await flagsOn(store, await ssdId(store, "M1"))).pregnant).toEqual({
      status: "active",
      period: {
        end: "2026-06-01",
        _start: {
          extension: [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "unknown" }],
        },
      },
    });
  });
});

describe("flags decision table: young-carer, child-in-need, looked-after, child-protection-plan (child)", () => {
  it("young-carer raised by CIN factor 7A and by a parent's CPA record naming the child a young carer; not by other factors", async () => {
    const store = await derived(async (s) => {
      await ingestCin(s, readFileSync("tests/golden/cin/input-2026.xml", "utf8"));
      await ingestCpa(s, [
        cpaPatient("P1", {
          Household: {
            AssessmentDate: "2026-06-01",
            ChildrenQuestion: "Y",
            Children: [{ ChildLocalId: "K1", PersonBirthDate: "2016-05-05", LivesWithPatient: "Y", YoungCarer: "Y" }],
          },
        }),
      ]);
    });
    expect((await flagsOn(store, await ssdId(store, "CH0001")))["young-carer"]).toEqual({
      status: "active",
      period: { start: "2025-10-01", end: "2034-05-05" },
    });
    const k1 = await patientId(store, `${ID}/cpa-household-child/RX4`, "P1/K1");
    expect((await flagsOn(store, k1))["young-carer"]).toEqual({
      status: "active",
      period: { start: "2026-06-01", end: "2034-05-05" },
    });
    expect((await statusesOn(store, await ssdId(store, "CH0004")))["young-carer"]).toBeUndefined();
  });
  it("child-in-need, looked-after and child-protection-plan: raised while open, inactive once closed", async () => {
    const feed = (closed: boolean) => ({
      ssd_person: [{ pers_person_id: "CH1", pers_dob: "2015-01-01", pers_sex: "F" }],
      ssd_cin_episodes: [
        {
          cine_referral_id: "R1",
          cine_person_id: "CH1",
          cine_referral_date: "2025-01-05",
          ...(closed ? { cine_close_date: "2026-01-31", cine_close_reason: "RC8" } : {}),
        },
      ],
      ssd_cla_episodes: [
        {
          clae_cla_episode_id: "L1",
          clae_person_id: "CH1",
          clae_cla_episode_start_date: "2025-05-01",
          ...(closed ? { clae_cla_episode_ceased_date: "2026-01-15", clae_cla_episode_ceased_reason: "E11" } : {}),
        },
      ],
      ssd_cp_plans: [
        {
          cppl_cp_plan_id: "CP1",
          cppl_person_id: "CH1",
          cppl_cp_plan_start_date: "2025-03-01",
          cppl_cp_plan_initial_category: "Neglect",
          cppl_cp_plan_latest_category: "Neglect",
          ...(closed ? { cppl_cp_plan_end_date: "2025-12-01" } : {}),
        },
      ],
    });
    const open = await derived(async (s) => void (await ingestSsd(s, feed(false))));
    expect(await statusesOn(open, await ssdId(open, "CH1"))).toEqual({
      "child-in-need": "active",
      "looked-after": "active",
      "child-protection-plan": "active",
    });
    const closed = await derivedThen(
      async (s) => void (await ingestSsd(s, feed(false))),
      async (s) => void (await ingestSsd(s, feed(true))),
    );
    expect(await flagsOn(closed, await ssdId(closed, "CH1"))).toEqual({
      "child-in-need": { status: "inactive", period: { start: "2025-01-05", end: "2026-01-31" } },
      "looked-after": { status: "inactive", period: { start: "2025-05-01", end: "2026-01-15" } },
      "child-protection-plan": { status: "inactive", period: { start: "2025-03-01", end: "2025-12-01" } },
    });
  });
  it("a CIN census CP plan raises child-protection-plan; a closed census episode is inactive", async () => {
    const store = await derived(
      async (s) => void (await ingestCin(s, readFileSync("tests/golden/cin/input-2026.xml", "utf8"))),
    );
    expect((await statusesOn(store, await ssdId(store, "CH0001")))["child-protection-plan"]).toBe("active");
    expect((await flagsOn(store, await ssdId(store, "CH0004")))["child-in-need"]?.status).toBe("inactive");
  });
});

describe("flags decision table: parent-in-adult-services (child)", () => {
  const load = (ndtmsRow: Record<string, string>) => async (s: Store) => {
    await ingestNdtms(s, ndtmsCsv([{ CLIENTID: "C1", EPISODID: "E1", PRNTSTAT: "11", ...ndtmsRow }]));
    await ingestSsd(s, { ssd_person: [{ pers_person_id: "CH1", pers_dob: "2015-01-01", pers_sex: "F" }] });
    await put(s, household("g1", [{ patient: await ndtmsId(s, "C1") }, { patient: await ssdId(s, "CH1") }]));
  };
  it("raised by a household adult's open treatment episode", async () => {
    const store = await derived(load({}));
    expect((await flagsOn(store, await ssdId(store, "CH1")))["parent-in-adult-services"]).toEqual({
      status: "active",
      period: { start: "2026-01-10", end: "2033-01-01" },
    });
  });
  it("inactive once the episode closed (NDTMS discharge)", async () => {
    const store = await derived(load({ DISD: "2026-03-01", DISRSN: "2" }));
    expect((await flagsOn(store, await ssdId(store, "CH1")))["parent-in-adult-services"]).toEqual({
      status: "inactive",
      period: { start: "2026-01-10", end: "2026-03-01" },
    });
  });
  it("a household child's CPA episode counts only from their 18th birthday, and never on an adult", async () => {
    const store = await derived(async (s) => {
      await ingestCpa(s, [cpaPatient("Y1", {}, { PersonBirthDate: "2010-01-01" }), cpaPatient("A1")]);
      await ingestSsd(s, { ssd_person: [{ pers_person_id: "CH1", pers_dob: "2015-01-01", pers_sex: "F" }] });
      await put(s, household("g1", [{ patient: await cpaId(s, "Y1") }, { patient: await ssdId(s, "CH1") }]));
      await put(s, household("g2", [{ patient: await cpaId(s, "A1") }]));
    });
    // The 15-year-old's episode shows on the younger child only from the older one's 18th birthday.
    expect((await flagsOn(store, await ssdId(store, "CH1")))["parent-in-adult-services"]).toEqual({
      status: "active",
      period: { start: "2028-01-01", end: "2033-01-01" },
    });
    expect((await statusesOn(store, await cpaId(store, "Y1")))["parent-in-adult-services"]).toBeUndefined();
    expect((await statusesOn(store, await cpaId(store, "A1")))["parent-in-adult-services"]).toBeUndefined();
  });
});
