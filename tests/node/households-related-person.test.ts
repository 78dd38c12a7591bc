// An adult known to one service only by initials, birth date and postcode (NDTMS) and to children's social care as a
// related person living with a child: the person index links the two, and the adult is in the child's household,
// whichever file comes first; a different adult, or a related person matching two people kept apart, is not.
import { describe, expect, it } from "vitest";
import type { DerivedResource } from "../../src/derive/port.js";
import { storeView } from "../../src/derive/store-view.js";
import { nhsCheckDigit } from "../../src/fhir/nhs-number.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import { undoLink } from "../../src/linkage/review.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { ssdJsonRecords } from "../../src/mapping/sources/ssd.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { textSource } from "../support/map-events.js";
import { sentBy } from "../support/sender.js";

const NOW = "2026-04-01T09:00:00.000Z";
const clock = () => new Date(NOW);

/** A valid test-range NHS number from a serial. */
function nhs(serial: number): string {
  for (let n = serial; ; n++) {
    const nine = `999${String(n).padStart(6, "0")}`;
    const check = nhsCheckDigit(nine);
    if (check !== undefined) return `${nine}${check}`;
  }
}

type Row = Record<string, string>;

const UPRN = "100000000321";
const address = JSON.stringify({
  ROOM: "",
  FLOOR: "",
  FLAT: "",
  BUILDING: "",
  HOUSE: "33",
  STREET: "Beacon Crescent",
  TOWN: "Sampleton",
  UPRN,
  EASTING: "",
  NORTHING: "",
});

/** The SSD file: child CH1 at UPRN, and related person R1 (Nina Example, born 1990-05-06) living with the child. */
function ssdDoc(related: Row = {}): string {
  return JSON.stringify({
    tfg_extract: [{ la_code: "201" }],
    ssd_person: [
      { pers_person_id: "CH1", pers_forename: "Ava", pers_surname: "Example", pers_sex: "F", pers_dob: "2015-03-15" },
    ],
    ssd_address: [
      {
        addr_table_id: "AD1",
        addr_person_id: "CH1",
        addr_address_type: "Primary Address",
        addr_address_start_date: "2020-01-01",
        addr_address_postcode: "ZZ99 5QX",
        addr_address_json: address,
      },
    ],
    ssd_family: [],
    ssd_mother: [],
    ssd_involvements: [],
    ssd_professionals: [],
    ssd_cin_episodes: [],
    ssd_cp_plans: [],
    ssd_cla_episodes: [],
    ssd_disability: [],
    tfg_related_people: [
      {
        relp_person_id: "CH1",
        relp_related_person_id: "R1",
        relp_forename: "Nina",
        relp_surname: "Example",
        relp_dob: "1990-05-06",
        relp_sex: "F",
        relp_relationship: "other-household-member",
        relp_lives_with_child: "Y",
        relp_parental_responsibility: "N",
        relp_start_date: "2020-01-01",
        relp_address_postcode: "ZZ99 5QX",
        relp_address_json: address,
        ...related,
      },
    ],
  });
}

/** NDTMS clients: initials, birth date, sex, postcode (no address lines, no UPRN), optional NHS number. */
function ndtmsDoc(clients: { id: string; initials: string; birth: string; nhs?: string }[]): string {
  const header = "FINITIAL,SINITIAL,DOB,SEX,AGNCY,CLIENTID,EPISODID,CONSENT,PC,REFLD,TRIAGED,NHSNUM";
  const rows = clients.map((c) =>
    [
      c.initials[0],
      c.initials[1],
      c.birth,
      "2",
      "N0852",
      c.id,
      `E-${c.id}`,
      "Y",
      "ZZ99 5QX",
      "2026-01-10",
      "2026-01-12",
      c.nhs ?? "",
    ].join(","),
  );
  return [header, ...rows].join("\n");
}

async function sendSsd(store: Store, doc: string) {
  const r = await ingest({ store, clock }, mappingFor("ssd"), ssdJsonRecords(textSource(doc)), sentBy("ssd", "201"));
  expect(r.counts.rejected, JSON.stringify(r.records.filter((x) => x.outcome === "rejected"))).toBe(0);
}

async function sendNdtms(store: Store, doc: string) {
  const r = await ingest(
    { store, clock },
    mappingFor("ndtms"),
    ndtmsRecords(textSource(doc)),
    sentBy("ndtms", "N0852"),
  );
  expect(r.counts.rejected, JSON.stringify(r.records.filter((x) => x.outcome === "rejected"))).toBe(0);
}

async function all(store: Store, type: string): Promise<DerivedResource[]> {
  const page = await store.search({ resourceType: type, criteria: [], count: 1000, sort: "id" });
  return page.versions.map((v) => v.resource as DerivedResource);
}

/** `Patient/id` → the local id of the record (NDTMS client id, SSD person id). */
async function names(store: Store): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of await all(store, "Patient")) {
    const ids = p.identifier as { system: string; value: string }[];
    out.set(`Patient/${p.id}`, ids.find((i) => !i.system.endsWith("nhs-number"))?.value ?? p.id);
  }
  return out;
}

/** What was derived, by local ids: each Person's records (RelatedPersons as `RP`), households, and who has the flag. */
async function derived(store: Store) {
  const name = await names(store);
  const label = (ref: string) => (ref.startsWith("RelatedPerson/") ? "RP" : (name.get(ref) ?? ref));
  const persons = (await all(store, "Person"))
    .map((p) =>
      (p.link as { target: { reference: string } }[])
        .map((l) => label(l.target.reference))
        .sort()
        .join("+"),
    )
    .sort();
  const households = (await all(store, "Group"))
    .map((g) =>
      (g.member as { entity: { reference: string }; inactive?: boolean }[])
        .filter((m) => !m.inactive)
        .map((m) => label(m.entity.reference))
        .sort()
        .join("+"),
    )
    .sort();
  const hasChildren = (await all(store, "Flag"))
    .filter((f) => f.status === "active" && JSON.stringify(f.code).includes('"household-has-children"'))
    .map((f) => label((f.subject as { reference: string }).reference))
    .sort();
  return { persons, households, hasChildren };
}

async function fresh() {
  return openSqliteStore(":memory:", loadMigrations());
}

describe("an adult known as a related person of a child and by an NDTMS row", () => {
  it.each([
    ["SSD first", false],
    ["NDTMS first", true],
  ])(
    "links the row with the related person and places the adult in the child's household (%s)",
    async (_n, ndtmsFirst) => {
      const store = await fresh();
      try {
        // C1: initials, birth date, sex and postcode agree with the related person (27.5 ≥ 24). C2: another birth date.
        const ndtms = ndtmsDoc([
          { id: "C1", initials: "NE", birth: "1990-05-06" },
          { id: "C2", initials: "NE", birth: "1971-09-30" },
        ]);
        if (ndtmsFirst) await sendNdtms(store, ndtms);
        await sendSsd(store, ssdDoc());
        if (!ndtmsFirst) await sendNdtms(store, ndtms);
        expect(await derived(store)).toEqual({
          persons: ["C1+RP", "C2", "CH1"],
          households: ["C1+CH1"],
          hasChildren: ["C1"],
        });
        // The link's evidence is on the Person: a probabilistic link of the row with the RelatedPerson.
        const [person] = await storeView(store).find("Person", [
          {
            kind: "reference",
            param: "link",
            targets: [(await all(store, "RelatedPerson")).map((r) => `RelatedPerson/${r.id}`)[0] as string],
          },
        ]);
        expect(JSON.stringify(person?.link)).toContain('"valueCode":"probabilistic"');
        // No possible-match Task is raised about a related person.
        expect(await all(store, "Task")).toEqual([]);
      } finally {
        await store.close();
      }
    },
  );

  it("joins neither of two records the index keeps apart, and places neither in the child's household", async () => {
    const store = await fresh();
    try {
      // Two rows with one set of initials, birth date and postcode but NHS numbers far apart: two people (15.2 < 18).
      await sendNdtms(
        store,
        ndtmsDoc([
          { id: "C1", initials: "NE", birth: "1990-05-06", nhs: nhs(100) },
          { id: "C3", initials: "NE", birth: "1990-05-06", nhs: nhs(555_000) },
        ]),
      );
      await sendSsd(store, ssdDoc());
      const d = await derived(store);
      expect(d.persons).toEqual(["C1", "C3", "CH1"]);
      expect(d.households).toEqual(["CH1"]);
      expect(d.hasChildren).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("a related person stops placing the adult once it no longer matches (its birth date corrected)", async () => {
    const store = await fresh();
    try {
      await sendNdtms(store, ndtmsDoc([{ id: "C1", initials: "NE", birth: "1990-05-06" }]));
      await sendSsd(store, ssdDoc());
      expect((await derived(store)).households).toEqual(["C1+CH1"]);
      await sendSsd(store, ssdDoc({ relp_dob: "1979-11-23" }));
      expect(await derived(store)).toEqual({ persons: ["C1", "CH1"], households: ["CH1"], hasChildren: [] });
    } finally {
      await store.close();
    }
  });

  it("a reviewer's unlink of the row takes the related person out of its Person, and the adult out of the household", async () => {
    const store = await fresh();
    try {
      await sendNdtms(store, ndtmsDoc([{ id: "C1", initials: "NE", birth: "1990-05-06" }]));
      await sendSsd(store, ssdDoc());
      const c1 = (await all(store, "Patient")).find((p) => JSON.stringify(p.identifier).includes('"C1"'));
      await undoLink({ store, clock }, `Patient/${c1?.id}`);
      expect(await derived(store)).toEqual({ persons: ["C1", "CH1"], households: ["CH1"], hasChildren: [] });
      const [task] = await all(store, "Task");
      const focus = (task?.focus as { reference?: string } | undefined)?.reference ?? "";
      expect([task?.status, focus.split("/")[0]]).toEqual(["rejected", "RelatedPerson"]);
      // Sending the files again does not relink them.
      await sendSsd(store, ssdDoc({ relp_start_date: "2020-01-02" }));
      expect((await derived(store)).persons).toEqual(["C1", "CH1"]);
    } finally {
      await store.close();
    }
  });
});
