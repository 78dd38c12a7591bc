// Sends small CPA and NDTMS files through the real ingest (with the real derivation chain) for the linkage tests.

import { nhsCheckDigit } from "../../src/fhir/nhs-number.js";
import { ingest } from "../../src/ingest/ingest-service.js";
import { personIndexDeriver } from "../../src/linkage/person-index.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { cpaJsonRecords } from "../../src/mapping/sources/cpa.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import type { Store } from "../../src/store/port.js";
import { textSource } from "../support/map-events.js";
import { sentBy } from "../support/sender.js";

export const NOW = "2026-12-02T09:00:00.000Z";

/** A valid NHS number in the synthetic range 999 000 0000–999 999 9999 from a serial. */
export function nhs(serial: number): string {
  for (let n = serial; ; n++) {
    const nine = `999${String(n).padStart(6, "0")}`;
    const check = nhsCheckDigit(nine);
    if (check !== undefined) return `${nine}${check}`;
  }
}

/** One CPA patient (an adult in mental health services). */
export interface Adult {
  org?: string;
  id: string;
  given?: string;
  family?: string;
  birth?: string;
  sex?: "1" | "2";
  postcode?: string;
  nhs?: string;
}

const cpaPatient = (a: Adult) => ({
  MHS001MPI: {
    LocalPatientId: a.id,
    ...(a.nhs ? { NHSNumber: a.nhs, NHSNumberStatus: "01" } : {}),
    ...(a.birth ? { PersonBirthDate: a.birth } : {}),
    ...(a.postcode ? { Postcode: a.postcode } : {}),
    ...(a.sex ? { GenderIDCode: a.sex } : {}),
    ...(a.given ? { PersonGivenName: a.given } : {}),
    ...(a.family ? { PersonFamilyName: a.family } : {}),
  },
  MHS701CPACareEpisode: [{ CPAEpisodeId: `E-${a.id}`, StartDateCPA: "2026-01-01" }],
});

/** Sends CPA patients (grouped by provider, one file each). */
export async function sendCpa(store: Store, adults: Adult[], clock = () => new Date(NOW)) {
  const byOrg = new Map<string, Adult[]>();
  for (const a of adults) byOrg.set(a.org ?? "RX4", [...(byOrg.get(a.org ?? "RX4") ?? []), a]);
  const reports = [];
  for (const [org, list] of byOrg) {
    const text = JSON.stringify({ MHS000Header: { OrgIDProvider: org }, Patients: list.map(cpaPatient) });
    reports.push(
      await ingest(
        { store, clock, derivers: [personIndexDeriver] },
        mappingFor("cpa"),
        cpaJsonRecords(textSource(text)),
        sentBy("cpa", org),
      ),
    );
  }
  return reports;
}

/** One NDTMS client (initials only). */
export interface Client {
  id: string;
  initials: string;
  birth: string;
  sex: "1" | "2";
  postcode?: string;
  nhs?: string;
}

const HEADER = "FINITIAL,SINITIAL,DOB,SEX,AGNCY,CLIENTID,EPISODID,CONSENT,PC,REFLD,TRIAGED,NHSNUM";

/** Sends NDTMS clients of agency N0852. */
export function sendNdtms(store: Store, clients: Client[]) {
  const rows = clients.map((c) =>
    [
      c.initials[0],
      c.initials[1],
      c.birth,
      c.sex,
      "N0852",
      c.id,
      `E-${c.id}`,
      "Y",
      c.postcode ?? "",
      "2026-01-10",
      "2026-01-12",
      c.nhs ?? "",
    ].join(","),
  );
  return ingest(
    { store, clock: () => new Date(NOW), derivers: [personIndexDeriver] },
    mappingFor("ndtms"),
    ndtmsRecords(textSource([HEADER, ...rows].join("\n"))),
    sentBy("ndtms", "N0852"),
  );
}

/** The Person of a Patient found by identifier system suffix and value, with its members' local ids. */
export async function patientKey(store: Store, system: string, value: string): Promise<string> {
  const page = await store.search({
    resourceType: "Patient",
    criteria: [{ kind: "token", param: "identifier", values: [{ system, value }] }],
    count: 2,
    sort: "id",
  });
  const v = page.versions[0];
  if (!v) throw new Error(`no Patient ${system}|${value}`);
  return `Patient/${v.id}`;
}

export const cpaKey = (store: Store, org: string, id: string) =>
  patientKey(store, `https://think-family-gateway.example/fhir/Id/mhsds-local-patient/${org}`, id);
export const ndtmsKey = (store: Store, id: string) =>
  patientKey(store, "https://think-family-gateway.example/fhir/Id/ndtms-client/N0852", id);
