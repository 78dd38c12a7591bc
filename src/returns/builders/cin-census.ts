/**
 * The CIN census return per LA and collection year (DOMAIN.md §5), in two variants: `cin-census`, the statutory
 * identifiable file (UPN and date of birth, as the census requires), and `cin-census-analytic`, de-identified
 * (LAchildID keyed-hashed, UPN left out, birth dates to the first of the month). Children failing a DfE rule
 * (cin-rules.ts) are left out and counted in the risk report. Valid against the XSD of the year.
 */
import { badRequest } from "../../fhir/errors.js";
import { firstOfMonth } from "../anon/generalise.js";
import { EquivalenceClasses } from "../anon/k-anonymity.js";
import { type Pseudonymiser, pseudonymiser } from "../anon/pseudonym.js";
import { riskReport } from "../anon/risk.js";
import type { BuiltReturn, ReturnBuildContext, ReturnRequest, Suppression } from "../port.js";
import { censusBatches } from "./cin-children.js";
import type { CensusChild } from "./cin-model.js";
import { CIN_RULES, type CinRule, cinFailures, episodesInYear, sexCode } from "./cin-rules.js";
import { cinChildXml, cinHead, cinTail } from "./cin-xml.js";
import { xmlFile } from "./files.js";
import { checkAborted, requireCode, requireKey } from "./request-checks.js";

/** Collection years with a vendored schema. */
export const CIN_YEARS = [2024, 2025, 2026] as const;

/** The collection year of a request: `scope.year`, one of {@link CIN_YEARS}. */
export function censusYearOf(request: ReturnRequest): number {
  const year = request.scope?.year;
  if (!(CIN_YEARS as readonly number[]).includes(year as number)) {
    throw badRequest(`scope.year must be one of ${CIN_YEARS.join(", ")}`, ["scope.year"]);
  }
  return year as number;
}

/** The analytic variant of a child: pseudonymised id, no UPN (nor UPNunknown), birth dates to the first of the month. */
async function deidentified(child: CensusChild, p: Pseudonymiser): Promise<CensusChild> {
  const { upn: _upn, upnUnknown: _unknown, ...rest } = child;
  return {
    ...rest,
    laChildId: await p.pseudonym(child.laChildId),
    birthDate: firstOfMonth(child.birthDate),
    expectedBirthDate: firstOfMonth(child.expectedBirthDate),
  };
}

/** Builds `cin-census` or `cin-census-analytic` for `scope.la` and `scope.year`. */
export async function buildCinCensus(request: ReturnRequest, context: ReturnBuildContext): Promise<BuiltReturn> {
  const analytic = request.kind === "cin-census-analytic";
  const la = requireCode(request, "la");
  if (!/^\d{3}$/.test(la)) throw badRequest("scope.la must be a three-digit LA code for a CIN census", ["scope.la"]);
  const year = censusYearOf(request);
  const key = analytic ? requireKey(context, request.kind) : context.keys.keyFor(request.kind);
  const p = key ? await pseudonymiser(key) : undefined;
  const parts: string[] = [cinHead(la, year)];
  const rejected = new Map<CinRule, string[]>();
  const classes = new EquivalenceClasses();
  let read = 0;
  let released = 0;
  let considered = 0;
  for await (const batch of censusBatches(context.store, la, year)) {
    checkAborted(context);
    read += batch.read;
    for (const { child: stored } of batch.entries) {
      const child = { ...stored, episodes: episodesInYear(stored.episodes, year) };
      if (child.episodes.length === 0) continue;
      considered++;
      const failures = cinFailures(child, year);
      if (failures.length > 0) {
        const label = p ? await p.pseudonym(child.laChildId) : "";
        for (const f of failures) rejected.set(f, [...(rejected.get(f) ?? []), label]);
        continue;
      }
      const out = analytic && p ? await deidentified(child, p) : child;
      parts.push(cinChildXml(out, year));
      classes.add([out.birthDate ?? out.expectedBirthDate, sexCode(out.gender, year), out.ethnicity]);
      released++;
    }
    context.onProgress?.(read);
  }
  if (released === 0)
    throw badRequest("No child of this LA passes into this census year; the schema needs one", ["scope"]);
  parts.push(cinTail());
  const suppressed: Suppression[] = analytic
    ? [
        { cell: "LAchildID", reason: "generalised", rule: "hmac-sha256" },
        { cell: "UPN", reason: "generalised", rule: "removed" },
        { cell: "PersonBirthDate", reason: "generalised", rule: "first-of-month" },
        { cell: "ExpectedPersonBirthDate", reason: "generalised", rule: "first-of-month" },
      ]
    : [];
  const notes = [
    analytic
      ? "De-identified analytic variant: LAchildID keyed-hashed (HMAC-SHA256, key id given), UPN left out, birth and expected birth dates to the first of the month; activity dates are kept."
      : "Statutory census: carries LAchildID, UPN and dates of birth as the DfE census requires.",
    `Children considered: ${considered}; released: ${released}; rejected by a DfE rule: ${considered - released}.`,
    ...[...rejected].map(
      ([rule, ids]) => `Rejected (${CIN_RULES[rule]}): ${ids.length}${p ? ` — pseudonyms ${ids.join(", ")}` : ""}`,
    ),
  ];
  return {
    files: [xmlFile(`cin-census-${analytic ? "analytic-" : ""}${la}-${year}.xml`, parts.join(""))],
    risk: riskReport({
      kind: request.kind,
      rule: "none",
      quasiIdentifiers: [
        analytic ? "PersonBirthDate (month)" : "PersonBirthDate",
        year <= 2024 ? "GenderCurrent" : "Sex",
        "Ethnicity",
      ],
      k: classes.k(),
      smallestCell: classes.k(),
      recordsIn: read,
      recordsOut: released,
      ...(p ? { keyId: p.keyId } : {}),
      suppressed,
      notes,
    }),
  };
}
