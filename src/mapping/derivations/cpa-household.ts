/**
 * CPA household derivations: the three-state parental status (DOMAIN.md §2, docs/sources/cpa.md)
 * and the counts of children in and outside the household. `not-recorded` is never `no-children`.
 * Everything is derived from the record alone (never the clock, never the file's header), so a
 * record gives the same resources on any day and in any encoding.
 */
import { codeSystemUrl } from "../../fhir/canonical.js";
import { valueAtPath, valuesAtPath } from "../paths.js";
import type { Derivation } from "../template.js";

interface Child {
  PersonBirthDate?: string;
  ExpectedPersonBirthDate?: string;
  LivesWithPatient?: string;
  OvernightContact?: string;
}

/** Whole years from `from` to `to` (both YYYY-MM-DD). */
export function ageOn(birthDate: string, on: string): number {
  const [by, bm, bd] = birthDate.split("-").map(Number) as [number, number, number];
  const [y, m, d] = on.split("-").map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/** The date the household questions refer to: the assessment date, when the record gives one. */
function referenceDate(root: Record<string, unknown>): string | undefined {
  return valueAtPath({ root, item: root }, "Household.AssessmentDate") as string | undefined;
}

/**
 * The listed children who count as children: all of them (born or unborn) except those the record
 * shows were 18 or over on the assessment date. A child listed without a birth date, or on a record
 * without an assessment date, cannot be aged and still counts: the trust listed them as a child.
 */
function minors(root: Record<string, unknown>, on: string | undefined): Child[] {
  const list = valuesAtPath({ root, item: root }, "Household.Children[]") as Child[];
  return list.filter((c) => !(c.PersonBirthDate && on && ageOn(c.PersonBirthDate, on) >= 18));
}

const inHousehold = (c: Child) => c.LivesWithPatient === "Y" || c.OvernightContact === "Y";

/** The parental status code for a CPA record. */
export function cpaParentalStatusCode(root: Record<string, unknown>): string {
  const scope = { root, item: root };
  const answer = valueAtPath(scope, "Household.ChildrenQuestion");
  const kids = minors(root, referenceDate(root));
  if (answer === "Z") return "declined";
  if (answer === "N") return "no-children";
  if (answer === "Y") return kids.some(inHousehold) ? "children-in-household" : "children-elsewhere";
  if (valueAtPath(scope, "MHS005PatInd.ParentalResp") === "Y" && kids.some((c) => c.LivesWithPatient === "Y")) {
    return "children-in-household";
  }
  return "not-recorded";
}

const markRead = (ctx: Parameters<Derivation>[2]) => {
  for (const p of [
    "Household.ChildrenQuestion",
    "Household.Children.PersonBirthDate",
    "Household.Children.ExpectedPersonBirthDate",
    "Household.Children.LivesWithPatient",
    "Household.Children.OvernightContact",
    "MHS005PatInd.ParentalResp",
    "Household.AssessmentDate",
  ]) {
    ctx.read.add(p);
  }
};

/** The parental status as a Coding from the `parental-status` code system. */
export const cpaParentalStatus: Derivation = (scope, _args, ctx) => {
  markRead(ctx);
  return { system: codeSystemUrl("parental-status"), code: cpaParentalStatusCode(scope.root) };
};

/** How many children (under 18 or unborn) live with the patient or stay overnight; undefined when not asked. */
export const childrenInHouseholdCount: Derivation = (scope, _args, ctx) => {
  markRead(ctx);
  if (valueAtPath(scope, "^Household.ChildrenQuestion") !== "Y") return undefined;
  return minors(scope.root, referenceDate(scope.root)).filter(inHousehold).length;
};

/** How many listed children (under 18) live elsewhere; undefined when not asked. */
export const childrenElsewhereCount: Derivation = (scope, _args, ctx) => {
  markRead(ctx);
  if (valueAtPath(scope, "^Household.ChildrenQuestion") !== "Y") return undefined;
  return minors(scope.root, referenceDate(scope.root)).filter((c) => !inHousehold(c)).length;
};
