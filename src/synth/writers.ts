/**
 * Writers that turn source records into file text: CSV (RFC 4180 quoting, `\n` line ends), the
 * CPA JSON document, NDJSON and CSV tables (docs/sources/cpa.md), NDTMS files with `NA` for
 * every empty value (reference notes §2.1), and the SSD case-record extract as CSV tables or JSON
 * (docs/sources/ssd.md).
 */
import type { CpaPatient } from "./cpa.js";
import { NDTMS_COLUMNS, type NdtmsRow } from "./ndtms.js";
import { SSD_COLUMNS } from "./ssd.js";

const quote = (v: string) => (/[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replaceAll('"', '""')}"` : v);

/** CSV text: a header row, then one row per record; undefined values become `empty`. */
export function toCsv(columns: readonly string[], rows: Record<string, string | undefined>[], empty = ""): string {
  const lines = [columns.map(quote).join(",")];
  for (const row of rows) lines.push(columns.map((c) => quote(row[c] ?? empty)).join(","));
  return `${lines.join("\n")}\n`;
}

/** An NDTMS treatment return: the reference notes' columns plus NHSNUM and UPRN, `NA` for null. */
export const ndtmsCsv = (rows: NdtmsRow[]): string => toCsv(NDTMS_COLUMNS, rows, "NA");

export interface CpaHeader {
  OrgIDProvider: string;
  OrgIDSubmit: string;
  ReportingPeriodStartDate: string;
  ReportingPeriodEndDate: string;
  DateTimeDatSetCreate: string;
}

/** The CPA JSON document `{ MHS000Header, Patients }`, two-space indented. */
export const cpaJson = (header: CpaHeader, patients: CpaPatient[]): string =>
  `${JSON.stringify({ MHS000Header: header, Patients: patients }, null, 2)}\n`;

/** CPA NDJSON: one compact record per line (each carries OrgIDProv). */
export const cpaNdjson = (patients: CpaPatient[]): string => patients.map((p) => `${JSON.stringify(p)}\n`).join("");

type Rec = Record<string, unknown>;

/** The CSV tables of docs/sources/cpa.md, their columns, and the rows each record gives. */
export const CPA_CSV_TABLES: readonly { name: string; columns: readonly string[]; rows: (p: CpaPatient) => Rec[] }[] = [
  {
    name: "MHS001MPI",
    columns: [
      "LocalPatientId",
      "OrgIDProv",
      "OrgIDLocalPatientId",
      "NHSNumber",
      "NHSNumberStatus",
      "PersonBirthDate",
      "Postcode",
      "GenderIDCode",
      "EthnicCategory",
      "PersonGivenName",
      "PersonFamilyName",
      "AddressLines",
      "UPRN",
    ],
    rows: (p) => [
      {
        ...p.MHS001MPI,
        OrgIDProv: p.OrgIDProv,
        AddressLines: (p.MHS001MPI.AddressLines as string[] | undefined)?.join("|"),
      },
    ],
  },
  {
    name: "MHS005PatInd",
    columns: ["LocalPatientId", "ParentalResp", "YoungCarer", "CPP", "LACStatus"],
    rows: (p) => (p.MHS005PatInd ? [p.MHS005PatInd] : []),
  },
  {
    name: "MHS006MHCareCoord",
    columns: [
      "LocalPatientId",
      "CareProfLocalId",
      "CareProfServOrTeamTypeAssoc",
      "StartDateAssCareCoord",
      "EndDateAssCareCoord",
      "CareProfName",
      "CareProfTeamLocalId",
      "CareProfTeamName",
      "ContactPhone",
      "ContactEmail",
    ],
    rows: (p) => p.MHS006MHCareCoord,
  },
  {
    name: "MHS701CPACareEpisode",
    columns: ["LocalPatientId", "CPAEpisodeId", "StartDateCPA", "EndDateCPA"],
    rows: (p) => p.MHS701CPACareEpisode,
  },
  {
    name: "MHS702CPAReview",
    columns: ["LocalPatientId", "CPAEpisodeId", "CPAReviewDate", "CareProfLocalId"],
    rows: (p) => p.MHS702CPAReview,
  },
  {
    name: "MHS101Referral",
    columns: [
      "LocalPatientId",
      "ServiceRequestId",
      "ReferralRequestReceivedDate",
      "SourceOfReferralMH",
      "PrimReasonReferralMH",
      "ServTeamTypeRefToMH",
      "ServDischDate",
    ],
    rows: (p) => p.MHS101Referral,
  },
  {
    name: "ReferralAdmission",
    columns: [
      "LocalPatientId",
      "ServiceRequestId",
      "StartDateHospProvSpell",
      "DischDateHospProvSpell",
      "PlannedDischDate",
      "DischargeMeetingHeld",
    ],
    rows: (p) =>
      p.MHS101Referral.flatMap((r) =>
        ((r.Admissions as Rec[] | undefined) ?? []).map((a) => ({ ServiceRequestId: r.ServiceRequestId, ...a })),
      ),
  },
  {
    name: "ReferralMissedAppointment",
    columns: ["LocalPatientId", "ServiceRequestId", "AppointmentDate"],
    rows: (p) =>
      p.MHS101Referral.flatMap((r) =>
        ((r.MissedAppointments as string[] | undefined) ?? []).map((d) => ({
          ServiceRequestId: r.ServiceRequestId,
          AppointmentDate: d,
        })),
      ),
  },
  {
    name: "Household",
    columns: ["LocalPatientId", "AssessmentDate", "AssessedBy", "ChildrenQuestion", "Pregnant", "ExpectedDeliveryDate"],
    rows: (p) => (p.Household ? [p.Household] : []),
  },
  {
    name: "HouseholdChild",
    columns: [
      "LocalPatientId",
      "ChildLocalId",
      "PersonGivenName",
      "PersonFamilyName",
      "NHSNumber",
      "PersonBirthDate",
      "ExpectedPersonBirthDate",
      "LivesWithPatient",
      "OvernightContact",
      "ContactWithOtherParent",
      "YoungCarer",
      "ChildrensServicesInvolved",
      "ChildrensServicesLA",
      "ChildrensServicesType",
    ],
    rows: (p) => (p.Household?.Children as Rec[] | undefined) ?? [],
  },
  {
    name: "HouseholdAdult",
    columns: ["LocalPatientId", "PersonGivenName", "PersonFamilyName", "Relationship"],
    rows: (p) => (p.Household?.OtherAdults as Rec[] | undefined) ?? [],
  },
];

/** File name → CSV text for every CPA table (a header row even when a table has no rows). */
export function cpaCsvTables(patients: CpaPatient[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const table of CPA_CSV_TABLES) {
    const rows = patients.flatMap((p) =>
      table.rows(p).map((r) => {
        const row: Record<string, string | undefined> = {};
        for (const c of table.columns) {
          const v = c === "LocalPatientId" ? p.MHS001MPI.LocalPatientId : r[c];
          row[c] = typeof v === "string" ? v : undefined;
        }
        return row;
      }),
    );
    out[`${table.name}.csv`] = toCsv(table.columns, rows);
  }
  return out;
}

/** One LA's SSD extract as CSV tables (`<table>.csv` → text; docs/sources/ssd.md). */
export function ssdCsvTables(extract: Record<string, Record<string, string | undefined>[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, columns] of Object.entries(SSD_COLUMNS)) out[`${name}.csv`] = toCsv(columns, extract[name] ?? []);
  return out;
}

/** The same extract as one JSON document `{ "<table>": [rows…] }`, empty values left out, two-space indented. */
export function ssdJson(extract: Record<string, Record<string, string | undefined>[]>): string {
  const doc: Record<string, Record<string, string>[]> = {};
  for (const [name, columns] of Object.entries(SSD_COLUMNS)) {
    doc[name] = (extract[name] ?? []).map((row) => {
      const out: Record<string, string> = {};
      for (const c of columns) {
        const v = row[c];
        if (v !== undefined && v !== "") out[c] = v;
      }
      return out;
    });
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}
