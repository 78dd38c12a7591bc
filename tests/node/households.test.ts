// The households deriver over real ingest on SQLite (issue 9 scope 3): Groups keyed by UPRN, else postcode and
// premise lines with flats apart; an address written without its UPRN joins the household of the record that gives
// it, whichever comes first; CPA household children (and an unborn child) join the patient; SSD related people
// living with the child and ssd_mother place their records with the child; moves end the old membership on the
// new address's start; re-deriving changes nothing; what is derived validates against its profiles; deriving file
// by file gives the same households as deriving once over a whole synthetic population.
import { describe, expect, it } from "vitest";
import type { DerivedResource } from "../../src/derive/port.js";
import { storeView } from "../../src/derive/store-view.js";
import { nhsCheckDigit } from "../../src/fhir/nhs-number.js";
import { validateResource } from "../../src/fhir/validation/index.js";
import { householdsDeriver } from "../../src/households/deriver.js";
import { runDeriversInterim } from "../../src/households/interim-runner.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import { ingestPopulation } from "../../src/linkage-score/ingest-population.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { cpaJsonRecords } from "../../src/mapping/sources/cpa.js";
import { ssdJsonRecords } from "../../src/mapping/sources/ssd.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { generate } from "../../src/synth/generate.js";
import { textSource } from "../support/map-events.js";
import { sentBy } from "../support/sender.js";

const NOW = "2026-04-01T09:00:00.000Z";
const clock = () => new Date(NOW);

/** A valid test-range NHS number from eight digits after 999 (check digit computed; the caller avoids a 10). */
const nhs = (eight: string) => {
  for (let i = 0; i < 10; i++) {
    const nine = `9${eight}${i}`.slice(0, 9);
    const d = nhsCheckDigit(nine);
    if (d !== undefined && d < 10) return `${nine}${d}`;
  }
  throw new Error("no NHS number");
};

type Row = Record<string, string>;

const cpaPatient = (id: string, mpi: Record<string, string | string[]>, household?: Record<string, unknown>) => ({
  MHS001MPI: { LocalPatientId: id, OrgIDLocalPatientId: "RX4", PersonBirthDate: "1985-01-01", ...mpi },
  MHS701CPACareEpisode: [{ CPAEpisodeId: `E${id}`, StartDateCPA: "2025-01-01" }],
  ...(household ? { Household: { AssessmentDate: "2026-01-10", ...household } } : {}),
});

const cpaDoc = (patients: unknown[]) => JSON.stringify({ MHS000Header: { OrgIDProvider: "RX4" }, Patients: patients });

const addressJson = (a: { flat?: string; building?: string; house?: string; street: string; uprn?: string }) =>
  JSON.stringify({
    ROOM: "",
    FLOOR: "",
    FLAT: a.flat ?? "",
    BUILDING: a.building ?? "",
    HOUSE: a.house ?? "",
    STREET: a.street,
    TOWN: "Sampleton",
    UPRN: a.uprn ?? "",
    EASTING: "",
    NORTHING: "",
  });

const ssdDoc = (tables: Record<string, Row[]>) =>
  JSON.stringify({
    tfg_extract: [{ la_code: "201" }],
    ssd_person: [],
    ssd_address: [],
    ssd_family: [],
    ssd_mother: [],
    ssd_involvements: [],
    ssd_professionals: [],
    ssd_cin_episodes: [],
    ssd_cp_plans: [],
    ssd_cla_episodes: [],
    ssd_disability: [],
    tfg_related_people: [],
    ...tables,
  });

const child = (id: string, extra: Row = {}): Row => ({
  pers_person_id: id,
  pers_forename: "Ava",
  pers_surname: "Testfamily",
  pers_sex: "F",
  pers_dob: "2015-03-15",
  ...extra,
});

const FLAT2 = { flat: "Flat 2", building: "Example House", house: "12", street: "Test Street", uprn: "100000000001" };

async function fresh() {
  return openSqliteStore(":memory:", loadMigrations());
}

/** Ingests a document and returns the keys of what its records produced. */
async function sendCpa(store: Store, doc: string) {
  const report = await ingest(
    { store, clock },
    mappingFor("cpa"),
    cpaJsonRecords(textSource(doc)),
    sentBy("cpa", "RX4"),
  );
  expect(report.counts.rejected, JSON.stringify(report.records.filter((r) => r.outcome === "rejected"))).toBe(0);
  return report.records.flatMap((r) => [...(r.resources ?? []), ...(r.withdrawn ?? [])]);
}

async function sendSsd(store: Store, doc: string) {
  const report = await ingest(
    { store, clock },
    mappingFor("ssd"),
    ssdJsonRecords(textSource(doc)),
    sentBy("ssd", "201"),
  );
  expect(report.counts.rejected, JSON.stringify(report.records.filter((r) => r.outcome === "rejected"))).toBe(0);
  return report.records.flatMap((r) => [...(r.resources ?? []), ...(r.withdrawn ?? [])]);
}

const derive = (store: Store, touched: string[]) => runDeriversInterim(store, [householdsDeriver], touched, NOW);

async function all(store: Store, type: string): Promise<DerivedResource[]> {
  const page = await store.search({ resourceType: type, criteria: [], count: 1000, sort: "id" });
  return page.versions.map((v) => v.resource as DerivedResource);
}

/** The Patient id of the record with identifier value `value` (any system). */
async function patientId(store: Store, value: string): Promise<string> {
  const found = (await all(store, "Patient")).find((p) =>
    (p.identifier as { value?: string }[]).some((i) => i.value === value),
  );
  if (!found) throw new Error(`no Patient ${value}`);
  return found.id;
}

/** Households as { key: members (identifier values of their records, with "~" for inactive) }. */
async function households(store: Store): Promise<Record<string, string[]>> {
  const names = new Map<string, string>();
  for (const p of await all(store, "Patient")) {
    const ids = p.identifier as { system: string; value?: string }[];
    names.set(`Patient/${p.id}`, ids.find((i) => !i.system.endsWith("nhs-number"))?.value ?? p.id);
  }
  const out: Record<string, string[]> = {};
  for (const g of await all(store, "Group")) {
    const key = (g.identifier as { value: string }[])[0]?.value as string;
    const members = (g.member as { entity: { reference: string }; inactive?: boolean }[])
      .map((m) => `${m.inactive ? "~" : ""}${names.get(m.entity.reference)}`)
      .sort();
    out[key.startsWith("address:") ? `address of ${members[0]}` : key] = members;
  }
  return out;
}

describe("households deriver", () => {
  it("keeps flats in one building apart and finds one flat however its lines are written", async () => {
    const store = await fresh();
    const touched = await sendCpa(
      store,
      cpaDoc([
        cpaPatient("A1", { Postcode: "ZZ99 3AA", AddressLines: ["Flat 2, 10 High St", "Testtown"] }),
        cpaPatient("A2", { Postcode: "ZZ99 3AA", AddressLines: ["Flat 3, 10 High St", "Testtown"] }),
        cpaPatient("A3", { Postcode: "zz993aa", AddressLines: ["FLAT 2", "10 High Street", "Testtown"] }),
        cpaPatient("A4", { Postcode: "ZZ99 3AB", AddressLines: ["Flat 2, 10 High St", "Testtown"] }),
      ]),
    );
    await derive(store, touched);
    const groups = Object.values(await households(store)).sort();
    expect(groups).toEqual([["A1", "A3"], ["A2"], ["A4"]]);
  });

  it("puts an address written without its UPRN in the household of the record that gives it, whichever comes first", async () => {
    const cpa = cpaDoc([
      cpaPatient("A1", {
        Postcode: "ZZ99 1AA",
        AddressLines: ["Flat 2, Example House", "12 Test Street", "Sampleton"],
      }),
    ]);
    const ssd = ssdDoc({
      ssd_person: [child("CH1")],
      ssd_address: [
        {
          addr_table_id: "AD1",
          addr_person_id: "CH1",
          addr_address_type: "Primary Address",
          addr_address_start_date: "2020-01-01",
          addr_address_postcode: "ZZ99 1AA",
          addr_address_json: addressJson(FLAT2),
        },
      ],
    });
    const first = await fresh();
    await derive(first, await sendCpa(first, cpa));
    expect(await households(first)).toEqual({ "address of A1": ["A1"] });
    await derive(first, await sendSsd(first, ssd));
    const second = await fresh();
    await derive(second, await sendSsd(second, ssd));
    await derive(second, await sendCpa(second, cpa));
    expect(await households(first)).toEqual({ "uprn:100000000001": ["A1", "CH1"] });
    expect(await households(second)).toEqual({ "uprn:100000000001": ["A1", "CH1"] });
    expect(await all(first, "Provenance")).toHaveLength((await all(second, "Provenance")).length);
  });

  it("places a CPA household section's resident children and unborn child with the patient, not a child living elsewhere", async () => {
    const store = await fresh();
    const touched = await sendCpa(
      store,
      cpaDoc([
        cpaPatient(
          "P1",
          { Postcode: "ZZ99 3AA", AddressLines: ["1 Test Street", "Testtown"], UPRN: "900000000101" },
          {
            ChildrenQuestion: "Y",
            Pregnant: "Y",
            ExpectedDeliveryDate: "2026-09-01",
            Children: [
              { ChildLocalId: "K1", PersonGivenName: "Sam", PersonBirthDate: "2016-05-05", LivesWithPatient: "Y" },
              { ChildLocalId: "K2", PersonGivenName: "Jo", PersonBirthDate: "2012-01-01", LivesWithPatient: "N" },
            ],
            OtherAdults: [{ PersonGivenName: "Pat", PersonFamilyName: "Example", Relationship: "partner" }],
          },
        ),
      ]),
    );
    await derive(store, touched);
    expect(await households(store)).toEqual({ "uprn:900000000101": ["P1", "P1/K1", "P1/unborn/2026-09-01"] });
    const oldGroups = (await all(store, "Group")).map((g) => g.id);
    expect(oldGroups).toHaveLength(1);
    // Re-sent from a new address: the patient and the children move; the old household is gone.
    const moved = await sendCpa(
      store,
      cpaDoc([
        cpaPatient(
          "P1",
          { Postcode: "ZZ99 3AB", AddressLines: ["7 New Road", "Testtown"], UPRN: "900000000202" },
          {
            ChildrenQuestion: "Y",
            Pregnant: "Y",
            ExpectedDeliveryDate: "2026-09-01",
            Children: [
              { ChildLocalId: "K1", PersonGivenName: "Sam", PersonBirthDate: "2016-05-05", LivesWithPatient: "Y" },
              { ChildLocalId: "K2", PersonGivenName: "Jo", PersonBirthDate: "2012-01-01", LivesWithPatient: "N" },
            ],
            OtherAdults: [{ PersonGivenName: "Pat", PersonFamilyName: "Example", Relationship: "partner" }],
          },
        ),
      ]),
    );
    await derive(store, moved.filter((k) => k.startsWith("Patient/")).slice(0, 1));
    // The old address's Group is deleted (by the ingest's own derivation, or by the re-derive above).
    for (const id of oldGroups) expect((await store.read("Group", id))?.deleted ?? true, id).toBe(true);
    expect(await households(store)).toEqual({ "uprn:900000000202": ["P1", "P1/K1", "P1/unborn/2026-09-01"] });
  });

  it("ends a membership where a newer address starts, and marks it inactive", async () => {
    const store = await fresh();
    const touched = await sendSsd(
      store,
      ssdDoc({
        ssd_person: [child("CH1")],
        ssd_address: [
          {
            addr_table_id: "AD1",
            addr_person_id: "CH1",
            addr_address_type: "Primary Address",
            addr_address_start_date: "2015-03-15",
            addr_address_postcode: "ZZ99 9ZZ",
            addr_address_json: addressJson({ house: "3", street: "Old Road", uprn: "100000000009" }),
          },
          {
            addr_table_id: "AD2",
            addr_person_id: "CH1",
            addr_address_type: "Primary Address",
            addr_address_start_date: "2020-01-01",
            addr_address_postcode: "ZZ99 1AA",
            addr_address_json: addressJson(FLAT2),
          },
        ],
      }),
    );
    await derive(store, touched);
    expect(await households(store)).toEqual({ "uprn:100000000001": ["CH1"], "uprn:100000000009": ["~CH1"] });
    const old = (await all(store, "Group")).find((g) => JSON.stringify(g.identifier).includes("100000000009"));
    const members = (old?.member ?? []) as { period?: unknown }[];
    expect(members[0]?.period).toEqual({ start: "2015-03-15", end: "2020-01-01" });
  });

  it("merges a record's routes into one household as the union of their periods: a route known from no date starts it no later", async () => {
    const store = await fresh();
    const mum = nhs("99000033");
    const keys = [
      // The mother's own address: no start date.
      ...(await sendCpa(
        store,
        cpaDoc([
          cpaPatient("MUM", {
            NHSNumber: mum,
            NHSNumberStatus: "01",
            Postcode: "ZZ99 1AA",
            AddressLines: ["Flat 2", "Example House", "12 Test Street"],
            UPRN: FLAT2.uprn,
          }),
        ]),
      )),
      // The child at the same address since 2020, living with its mother since 2015 (an SSD related person).
      ...(await sendSsd(
        store,
        ssdDoc({
          ssd_person: [child("CH1")],
          ssd_address: [
            {
              addr_table_id: "AD1",
              addr_person_id: "CH1",
              addr_address_type: "Primary Address",
              addr_address_start_date: "2020-01-01",
              addr_address_postcode: "ZZ99 1AA",
              addr_address_json: addressJson(FLAT2),
            },
          ],
          tfg_related_people: [
            {
              relp_person_id: "CH1",
              relp_related_person_id: "R1",
              relp_forename: "Fay",
              relp_surname: "Testfamily",
              relp_dob: "1985-01-01",
              relp_sex: "F",
              relp_nhs_number: mum,
              relp_relationship: "mother",
              relp_lives_with_child: "Y",
              relp_parental_responsibility: "Y",
              relp_start_date: "2015-03-15",
            },
          ],
        }),
      )),
    ];
    await derive(store, keys);
    const [group] = await all(store, "Group");
    const periods = new Map<string, unknown>();
    for (const m of (group?.member ?? []) as { entity: { reference: string }; period?: unknown }[])
      periods.set(m.entity.reference, m.period);
    // The mother: her own address (no date) and living with the child (since 2020) — since no known date.
    expect(periods.get(`Patient/${await patientId(store, "MUM")}`)).toBeUndefined();
    // The child: its own address (2020) and living with its mother, who is there since no known date (from 2015).
    expect(periods.get(`Patient/${await patientId(store, "CH1")}`)).toEqual({ start: "2015-03-15" });
  });

  it("places the records an SSD related person living with the child names, and a baby with its ssd_mother", async () => {
    const store = await fresh();
    const mum = nhs("99000011");
    const dad = nhs("99000022");
    const keys = [
      ...(await sendCpa(
        store,
        cpaDoc([
          cpaPatient("MUM", { NHSNumber: mum, NHSNumberStatus: "01", GenderIDCode: "2" }),
          cpaPatient("DAD", {
            NHSNumber: dad,
            NHSNumberStatus: "01",
            Postcode: "ZZ97 3CC",
            AddressLines: ["5 Far Lane", "Elsewhere"],
            UPRN: "100000000077",
          }),
        ]),
      )),
      ...(await sendSsd(
        store,
        ssdDoc({
          ssd_person: [
            child("CH1"),
            child("M1", { pers_forename: "Cara", pers_dob: "2008-02-10" }),
            { pers_person_id: "UB1", pers_surname: "Samplename", pers_sex: "U", pers_expected_dob: "2026-06-01" },
          ],
          ssd_address: [
            {
              addr_table_id: "AD1",
              addr_person_id: "CH1",
              addr_address_type: "Primary Address",
              addr_address_start_date: "2020-01-01",
              addr_address_postcode: "ZZ99 1AA",
              addr_address_json: addressJson(FLAT2),
            },
            {
              addr_table_id: "AD2",
              addr_person_id: "M1",
              addr_address_type: "Primary Address",
              addr_address_start_date: "2024-01-01",
              addr_address_postcode: "ZZ98 2BB",
              addr_address_json: addressJson({ house: "8", street: "Carer Lane", uprn: "100000000002" }),
            },
          ],
          tfg_related_people: [
            {
              relp_person_id: "CH1",
              relp_related_person_id: "R1",
              relp_forename: "Fay",
              relp_surname: "Testfamily",
              relp_dob: "1985-01-01",
              relp_sex: "F",
              relp_nhs_number: mum,
              relp_relationship: "mother",
              relp_lives_with_child: "Y",
              relp_parental_responsibility: "Y",
              relp_start_date: "2015-03-15",
            },
            {
              relp_person_id: "CH1",
              relp_related_person_id: "R2",
              relp_forename: "Gus",
              relp_surname: "Otherfamily",
              relp_dob: "1985-01-01",
              relp_sex: "M",
              relp_nhs_number: dad,
              relp_relationship: "father",
              relp_lives_with_child: "N",
              relp_parental_responsibility: "Y",
              relp_start_date: "2015-03-15",
            },
          ],
          ssd_mother: [{ moth_table_id: "MO1", moth_person_id: "M1", moth_childs_person_id: "UB1" }],
        }),
      )),
    ];
    const r = await derive(store, keys);
    expect(await households(store)).toEqual({
      "uprn:100000000001": ["CH1", "MUM"],
      "uprn:100000000002": ["M1", "UB1"],
      "uprn:100000000077": ["DAD"],
    });
    // Everything derived claims and meets its profile, and is owned by the gateway.
    for (const key of r.written) {
      const [type, id] = key.split("/") as [string, string];
      const stored = await storeView(store).read(type, id);
      expect(
        validateResource(stored).filter((i) => i.severity === "error"),
        key,
      ).toEqual([]);
      expect(JSON.stringify(stored?.meta)).toContain("tfg-gateway");
    }
    const again = await derive(store, keys);
    expect(again.written).toEqual([]);
    expect(again.deleted).toEqual([]);
    const mumId = await patientId(store, "MUM");
    const found = await storeView(store).find("Group", [
      { kind: "reference", param: "member", targets: [`Patient/${mumId}`] },
    ]);
    expect(found.map((g) => (g.identifier as { value: string }[])[0]?.value)).toEqual(["uprn:100000000001"]);
  });

  it("places a child with no address of its own at the address of a related person it lives with who is no Patient", async () => {
    const store = await fresh();
    const related = (id: string, lives: string, uprn: string, house: string) => ({
      relp_person_id: "UB2",
      relp_related_person_id: id,
      relp_forename: id === "R3" ? "Lena" : "Otto",
      relp_surname: "Samplename",
      relp_dob: "1994-04-06",
      relp_sex: id === "R3" ? "F" : "M",
      relp_relationship: id === "R3" ? "mother" : "father",
      relp_lives_with_child: lives,
      relp_parental_responsibility: "Y",
      relp_address_postcode: "ZZ99 6TY",
      relp_address_json: addressJson({ house, street: "Sorrel Street", uprn }),
    });
    const keys = [
      // An adult at UPRN 100000000088, known to another service (no NHS number in common with anyone).
      ...(await sendCpa(
        store,
        cpaDoc([
          cpaPatient("LENA", { Postcode: "ZZ99 6TY", AddressLines: ["87 Sorrel Street"], UPRN: "100000000088" }),
        ]),
      )),
      ...(await sendSsd(
        store,
        ssdDoc({
          // An unborn child: no address, no NHS number; its mother and father known only as related people.
          ssd_person: [
            { pers_person_id: "UB2", pers_surname: "Samplename", pers_sex: "U", pers_expected_dob: "2026-09-01" },
          ],
          tfg_related_people: [related("R3", "Y", "100000000088", "87"), related("R4", "N", "100000000099", "3")],
        }),
      )),
    ];
    await derive(store, keys);
    // With the mother it lives with (her address), not with the father it does not.
    expect(await households(store)).toEqual({ "uprn:100000000088": ["LENA", "UB2"] });
    const again = await derive(store, keys);
    expect([again.written, again.deleted]).toEqual([[], []]);
  });

  it("derives the same households file by file as once over the whole synthetic population, and nothing on replay", async () => {
    const population = generate({ households: 40, seed: "house" });
    const once = await fresh();
    const ingested = await ingestPopulation(once, population.files, clock);
    await derive(once, ingested.keys);
    const stepwise = await fresh();
    for (const f of population.files) {
      const step = await ingestPopulation(stepwise, [f], clock);
      if (step.keys.length) await derive(stepwise, step.keys);
    }
    const groupsOf = async (s: Store) =>
      Object.fromEntries((await all(s, "Group")).map((g) => [g.id, JSON.stringify(g.member)]));
    const a = await groupsOf(once);
    expect(Object.keys(a).length).toBeGreaterThan(10);
    expect(await groupsOf(stepwise)).toEqual(a);
    const replay = await ingestPopulation(once, population.files, clock);
    const r = await derive(once, replay.keys);
    expect(r.written).toEqual([]);
    expect(r.deleted).toEqual([]);
  });
});

describe("household keys", () => {
  it("keep the premise (flat, building, number, street) and drop the locality; a postcode alone is no key", async () => {
    const { householdKeyOf, premiseOf } = await import("../../src/households/address-key.js");
    expect(premiseOf(["Flat 2, 10 High St", "Testtown"])).toBe("flat 2 10 high street");
    expect(premiseOf(["FLAT 2", "10 High Street"])).toBe("flat 2 10 high street");
    expect(premiseOf(["Flat 2, Example House", "12 Test Street", "Sampleton"])).toBe(
      "flat 2 example house 12 test street",
    );
    expect(premiseOf(["Flat 2", "Example House", "12 Test Street"])).toBe("flat 2 example house 12 test street");
    expect(premiseOf(["41 Spinney Close", "Kettleby Cross", "Northwold"])).toBe("41 spinney close");
    expect(premiseOf(["Rose Cottage", "Northwold"])).toBe("rose cottage");
    expect(householdKeyOf({ postalCode: "ZZ99 3AA" })).toBeUndefined();
    expect(householdKeyOf({ line: ["1 Test Street"], postalCode: "not a postcode" })).toBeUndefined();
    expect(householdKeyOf({ line: ["1 Test Street"], postalCode: "zz993aa" })).toEqual({
      kind: "address",
      postcode: "ZZ99 3AA",
      premise: "1 test street",
    });
  });
});
