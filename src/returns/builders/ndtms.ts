/**
 * The NDTMS core data set extract (DOMAIN.md §5): one client-level CSV per agency (`scope.org`) and period, NDTMS
 * column names and codes, CLIENTID and EPISODID keyed-hashed (HMAC-SHA256 under the ndtms key), date of birth to
 * the first of its month, initials and postcode withheld, and a client whose CONSENT = N reduced to AGNCY,
 * CLIENTID and CONSENT. Streams through the agency's treatment episodes a page at a time.
 */
import { RECORD_OWNER_SYSTEM } from "../../auth/ownership.js";
import { EPISODE_TYPE_SYSTEM } from "../../reports/codes.js";
import { type Column, csvHeader, csvRows } from "../../reports/csv.js";
import { dayOf, type Json } from "../../reports/fhir-read.js";
import { firstOfMonth } from "../anon/generalise.js";
import { EquivalenceClasses } from "../anon/k-anonymity.js";
import { pseudonymiser } from "../anon/pseudonym.js";
import { riskReport } from "../anon/risk.js";
import type { BuiltReturn, ReturnBuildContext, ReturnRequest, Suppression } from "../port.js";
import { NDTMS_EXTRACT_COLUMNS, type NdtmsRow, ndtmsRow } from "./ndtms-row.js";
import { pagedSearch } from "./paged.js";
import { checkAborted, checkPeriod, overlaps, requireCode, requireKey } from "./request-checks.js";
import { sourceRecordsOf } from "./source-records.js";

/** The quasi-identifiers the extract releases (k-anonymity is measured over them). */
export const NDTMS_QUASI_IDENTIFIERS = ["DOB", "SEX", "ETHNIC", "DAT", "LA", "UTLA"] as const;

/** Columns a CONSENT = N row keeps (SUND-NDTMS whitelist, reference notes §2.1). */
export const CONSENT_N_COLUMNS = ["AGNCY", "CLIENTID", "CONSENT"] as const;

const compact = (d: string) => d.replace(/-/g, "");

/** Builds the extract for agency `scope.org` over `period`. */
export async function buildNdtms(request: ReturnRequest, context: ReturnBuildContext): Promise<BuiltReturn> {
  const period = checkPeriod(request.period);
  const agency = requireCode(request, "org");
  const p = await pseudonymiser(requireKey(context, "ndtms"));
  const criteria = [
    {
      kind: "token" as const,
      param: "type",
      values: [{ system: EPISODE_TYPE_SYSTEM, value: "drug-alcohol-treatment" }],
    },
    {
      kind: "token" as const,
      param: "_tag",
      values: [...new Set([agency, agency.toUpperCase()])].map((value) => ({ system: RECORD_OWNER_SYSTEM, value })),
    },
  ];
  const columns: Column<NdtmsRow>[] = NDTMS_EXTRACT_COLUMNS.map((c) => ({ header: c, cell: (r) => r[c] }));
  const parts: string[] = [csvHeader(columns)];
  let released = 0;
  const classes = new EquivalenceClasses();
  let read = 0;
  let consentN = 0;
  for await (const batch of pagedSearch(context.store, "EpisodeOfCare", criteria)) {
    checkAborted(context);
    read += batch.length;
    const episodes = batch.filter((e) => {
      const per = (e.period as Json | undefined) ?? {};
      return e.status !== "entered-in-error" && overlaps(dayOf(per.start), dayOf(per.end), period.start, period.end);
    });
    const rows: NdtmsRow[] = [];
    const records = await sourceRecordsOf(
      context.store,
      episodes.map((e) => `EpisodeOfCare/${e.id}`),
    );
    for (const e of episodes) {
      const record = records.get(`EpisodeOfCare/${e.id}`)?.[0];
      if (!record) continue;
      const built = ndtmsRow(agency, e, record);
      const clientId = await p.pseudonym(`${agency}/${built.clientId ?? e.id}`);
      if (!built.consent) {
        rows.push({ AGNCY: agency, CLIENTID: clientId, CONSENT: "N" });
        consentN++;
        continue;
      }
      const row: NdtmsRow = {
        ...built.row,
        CLIENTID: clientId,
        EPISODID: await p.pseudonym(`${agency}/${built.clientId ?? e.id}/${built.episodeId ?? e.id}`),
        DOB: firstOfMonth(built.birthDate),
      };
      rows.push(row);
      classes.add(NDTMS_QUASI_IDENTIFIERS.map((q) => row[q]));
    }
    parts.push(csvRows(columns, rows));
    released += rows.length;
    context.onProgress?.(read);
  }
  const name = `${agency}-${compact(period.start)}-${compact(period.end)}-TREAT-IN-P.csv`;
  const suppressed: Suppression[] = [
    { cell: "CLIENTID", reason: "generalised", rule: "hmac-sha256" },
    { cell: "EPISODID", reason: "generalised", rule: "hmac-sha256" },
    { cell: "DOB", reason: "generalised", rule: "first-of-month" },
    { cell: "FINITIAL", reason: "primary", rule: "withheld" },
    { cell: "SINITIAL", reason: "primary", rule: "withheld" },
    { cell: "PC", reason: "primary", rule: "withheld" },
    ...(consentN > 0
      ? [{ cell: "all but AGNCY, CLIENTID, CONSENT", reason: "consent" as const, rule: "consent-n" }]
      : []),
  ];
  return {
    files: [
      {
        name,
        mediaType: "text/csv; charset=utf-8; header=present",
        bytes: new TextEncoder().encode(parts.join("")),
      },
    ],
    risk: riskReport({
      kind: "ndtms",
      rule: "none",
      quasiIdentifiers: [...NDTMS_QUASI_IDENTIFIERS],
      k: classes.k(),
      smallestCell: classes.k(),
      recordsIn: read,
      recordsOut: released,
      keyId: p.keyId,
      suppressed,
      notes: [
        "One row per treatment episode open in the period; CLIENTID and EPISODID are HMAC-SHA256 pseudonyms under the ndtms key (its id is the prefix), so one client's episodes share a CLIENTID.",
        "DOB is the first of the month of birth; FINITIAL, SINITIAL and PC are left empty (the keyed client id replaces the initials-and-birth-date attributor; the postcode is not needed at national level). NHSNUM and UPRN are never written.",
        `${consentN} row(s) with CONSENT = N carry only AGNCY, CLIENTID and CONSENT.`,
        `k-anonymity over ${NDTMS_QUASI_IDENTIFIERS.join(", ")} counts consenting rows (episodes); CONSENT = N rows release no quasi-identifier.`,
      ],
    }),
  };
}
