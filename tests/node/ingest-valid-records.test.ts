// Valid source records are stored, never rejected: a CIN child whose referral predates the collection year, is
// still open and has no Assessments; a CPA child listed as living elsewhere with no birth date; an NDTMS row of a
// client who withheld consent, blanked as NDTMS extracts blank it (only AGNCY, CLIENTID and CONSENT kept).
import { describe, expect, it } from "vitest";
import { TFG_BASE } from "../../src/fhir/canonical.js";
import { validateResource } from "../../src/fhir/validation/index.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { cinRecords } from "../../src/mapping/sources/cin.js";
import { cpaJsonRecords } from "../../src/mapping/sources/cpa.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { textSource } from "../support/map-events.js";
import { sentBy } from "../support/sender.js";

type Rec = Record<string, unknown>;

/** Every stored (live) resource a record's result names, read back from the store. */
async function stored(store: Store, refs: string[]): Promise<Rec[]> {
  const out: Rec[] = [];
  for (const ref of refs) {
    const [type, id] = ref.split("/") as [string, string];
    const v = await store.read(type, id);
    if (v && !v.deleted && v.resource) out.push(v.resource as Rec);
  }
  return out;
}

/** A 2025-26 census return (schema 2026) with one child: referred in 2023, still open, never assessed. */
const cinOpenOldReferral = `<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails><Collection>CIN</Collection><Year>2026</Year><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>201</LEA><SoftwareCode>Test</SoftwareCode><Release>1</Release><SerialNo>001</SerialNo><DateTime>2026-04-02T10:00:00</DateTime></Source>
  </Header>
  <Children>
    <Child>
      <ChildIdentifiers><LAchildID>OLD01</LAchildID><PersonBirthDate>2014-02-03</PersonBirthDate><Sex>F</Sex></ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2023-11-20</CINreferralDate>
        <ReferralSource>2A</ReferralSource>
        <PrimaryNeedCode>N4</PrimaryNeedCode>
        <CINPlanDates><CINPlanStartDate>2024-01-08</CINPlanStartDate></CINPlanDates>
        <ReferralNFA>0</ReferralNFA>
      </CINdetails>
    </Child>
  </Children>
</Message>
`;

describe("valid source records are stored", () => {
  it("stores a CIN child whose open referral predates the collection year and has no Assessments (no outcome yet)", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    try {
      const report = await ingest(
        { store, clock: () => new Date(), ownership: () => true },
        mappingFor("cin"),
        cinRecords(textSource(cinOpenOldReferral)),
        sentBy("cin", "TEST-FEED"),
      );
      const result = report.records[0];
      expect(result?.issues).toBeUndefined();
      expect(result?.outcome).toBe("created");
      const resources = await stored(store, result?.resources ?? []);
      expect(resources.map((r) => r.resourceType).sort()).toEqual([
        "EpisodeOfCare",
        "Patient",
        "Provenance",
        "ServiceRequest",
      ]);
      const referral = resources.find((r) => r.resourceType === "ServiceRequest") as Rec;
      const urls = ((referral.extension as Rec[]) ?? []).map((e) => e.url);
      // The referral source is kept; there is no outcome yet, so no referral-outcome extension (never one without a value).
      expect(urls).toEqual([`${TFG_BASE}/StructureDefinition/referral-source`]);
      expect(referral.authoredOn).toBe("2023-11-20");
      for (const r of resources) expect(validateResource(r)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("stores a CIN child with neither PersonBirthDate nor ExpectedPersonBirthDate (the XSD allows both to be absent)", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    try {
      const xml = cinOpenOldReferral.replace("<PersonBirthDate>2014-02-03</PersonBirthDate>", "");
      const report = await ingest(
        { store, clock: () => new Date(), ownership: () => true },
        mappingFor("cin"),
        cinRecords(textSource(xml)),
        sentBy("cin", "TEST-FEED"),
      );
      expect(report.records.map((r) => [r.outcome, r.issues])).toEqual([["created", undefined]]);
      expect(report.coverage.missingNeededFields["ChildIdentifiers.PersonBirthDate"]?.records).toBe(1);
      const child = (await stored(store, report.records[0]?.resources ?? [])).find((r) => r.resourceType === "Patient");
      expect(child?.birthDate).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("stores a CPA patient whose household lists a child living elsewhere without a birth date; the child counts as a child", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    try {
      const doc = {
        MHS000Header: { OrgIDProvider: "RX4" },
        Patients: [
          {
            MHS001MPI: { LocalPatientId: "P1", PersonBirthDate: "1984-04-04" },
            MHS701CPACareEpisode: [{ CPAEpisodeId: "E1", StartDateCPA: "2026-01-01" }],
            Household: {
              AssessmentDate: "2026-02-01",
              ChildrenQuestion: "Y",
              Children: [{ ChildLocalId: "K1", PersonGivenName: "Sam", LivesWithPatient: "N", OvernightContact: "N" }],
            },
          },
        ],
      };
      const report = await ingest(
        { store, clock: () => new Date(), ownership: () => true },
        mappingFor("cpa"),
        cpaJsonRecords(textSource(JSON.stringify(doc))),
        sentBy("cpa", "TEST-FEED"),
      );
      const result = report.records[0];
      expect(result?.issues).toBeUndefined();
      expect(result?.outcome).toBe("created");
      const resources = await stored(store, result?.resources ?? []);
      const patients = resources.filter((r) => r.resourceType === "Patient");
      expect(patients).toHaveLength(2);
      const child = patients.find((p) => (p.name as Rec[] | undefined)?.[0]?.given) as Rec;
      expect(child.birthDate).toBeUndefined();
      expect(resources.filter((r) => r.resourceType === "RelatedPerson")).toHaveLength(1);
      const status = resources.find(
        (r) => ((r.code as Rec | undefined)?.coding as Rec[] | undefined)?.[0]?.code === "parental-status",
      ) as Rec;
      expect(((status.valueCodeableConcept as Rec).coding as Rec[])[0]?.code).toBe("children-elsewhere");
      expect(status.component).toEqual(expect.arrayContaining([expect.objectContaining({ valueInteger: 1 })]));
      // Stored, with the missing date as a coverage note rather than a rejection.
      expect(report.coverage.missingNeededFields["Household.Children[].PersonBirthDate"]?.records).toBe(1);
      for (const r of resources) expect(validateResource(r)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("stores an NDTMS consent-withheld row with only AGNCY, CLIENTID and CONSENT, and notes what it lacks", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    try {
      const csv =
        "FINITIAL,SINITIAL,DOB,SEX,REFLD,AGNCY,CLIENTID,EPISODID,CONSENT,PRNTSTAT,TRIAGED\n" +
        "NA,NA,NA,NA,NA,N0852,C900,NA,N,NA,NA\n" +
        "A,B,1981-01-01,1,NA,N0852,C901,E1,Y,14,NA\n";
      const report = await ingest(
        { store, clock: () => new Date(), ownership: () => true },
        mappingFor("ndtms"),
        ndtmsRecords(textSource(csv)),
        sentBy("ndtms", "TEST-FEED"),
      );
      expect(report.records.map((r) => [r.outcome, r.issues])).toEqual([
        ["created", undefined],
        ["created", undefined],
      ]);
      expect(report.coverage.missingNeededFields).toMatchObject({
        EPISODID: { records: 1 },
        DOB: { records: 1 },
        REFLD: { records: 2 },
      });
      const [withheld, noReferralDate] = await Promise.all(report.records.map((r) => stored(store, r.resources ?? [])));
      // Withheld: the client is known to the agency, with consent false; there is no episode to record.
      expect(withheld?.map((r) => r.resourceType).sort()).toEqual(["Patient", "Provenance"]);
      const patient = withheld?.find((r) => r.resourceType === "Patient") as Rec;
      expect(patient.extension).toContainEqual({
        url: `${TFG_BASE}/StructureDefinition/ndtms-consent`,
        valueBoolean: false,
      });
      // No referral date: the episode and its observations say the date is absent rather than inventing one.
      const absent = {
        extension: [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "unknown" }],
      };
      const episode = noReferralDate?.find((r) => r.resourceType === "EpisodeOfCare") as Rec;
      expect(episode.period).toEqual({ _start: absent });
      const status = noReferralDate?.find((r) => r.resourceType === "Observation") as Rec;
      expect(status._effectiveDateTime).toEqual(absent);
      for (const r of [...(withheld ?? []), ...(noReferralDate ?? [])]) expect(validateResource(r)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
