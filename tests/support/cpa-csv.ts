// Turns CPA JSON records into the CPA CSV tables (docs/sources/cpa.md), to test that both forms map alike.
import { stringify } from "csv-stringify/sync";

type Rec = Record<string, unknown>;
const TABLES: [string, (p: Rec) => Rec[]][] = [
  [
    "MHS001MPI",
    (p) => [
      {
        ...(p.MHS001MPI as Rec),
        OrgIDProv: p.OrgIDProv,
        AddressLines: ((p.MHS001MPI as Rec).AddressLines as string[] | undefined)?.join("|"),
      },
    ],
  ],
  ["MHS005PatInd", (p) => (p.MHS005PatInd ? [p.MHS005PatInd as Rec] : [])],
  ["MHS006MHCareCoord", (p) => (p.MHS006MHCareCoord as Rec[]) ?? []],
  ["MHS701CPACareEpisode", (p) => (p.MHS701CPACareEpisode as Rec[]) ?? []],
  ["MHS702CPAReview", (p) => (p.MHS702CPAReview as Rec[]) ?? []],
  [
    "MHS101Referral",
    (p) => ((p.MHS101Referral as Rec[]) ?? []).map(({ Admissions: _a, MissedAppointments: _m, ...r }) => r),
  ],
  [
    "ReferralAdmission",
    (p) =>
      ((p.MHS101Referral as Rec[]) ?? []).flatMap((r) =>
        ((r.Admissions as Rec[]) ?? []).map((a) => ({ ServiceRequestId: r.ServiceRequestId, ...a })),
      ),
  ],
  [
    "ReferralMissedAppointment",
    (p) =>
      ((p.MHS101Referral as Rec[]) ?? []).flatMap((r) =>
        ((r.MissedAppointments as string[]) ?? []).map((d) => ({
          ServiceRequestId: r.ServiceRequestId,
          AppointmentDate: d,
        })),
      ),
  ],
  [
    "Household",
    (p) =>
      p.Household
        ? [
            Object.fromEntries(
              Object.entries(p.Household as Rec).filter(([k]) => k !== "Children" && k !== "OtherAdults"),
            ),
          ]
        : [],
  ],
  ["HouseholdChild", (p) => ((p.Household as Rec | undefined)?.Children as Rec[]) ?? []],
  ["HouseholdAdult", (p) => ((p.Household as Rec | undefined)?.OtherAdults as Rec[]) ?? []],
];

/** CSV text per table for the given patients (each must have OrgIDProv and MHS001MPI.LocalPatientId). */
export function toCpaCsvTables(patients: Rec[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, rows] of TABLES) {
    const all = patients.flatMap((p) =>
      rows(p).map((r) => ({ LocalPatientId: (p.MHS001MPI as Rec).LocalPatientId, ...r })),
    );
    if (all.length === 0) continue;
    const columns = [...new Set(all.flatMap((r) => Object.keys(r)))];
    out[`${name}.csv`] = stringify(all, { header: true, columns });
  }
  return out;
}
