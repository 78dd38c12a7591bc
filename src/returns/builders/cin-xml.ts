/**
 * Writes a CIN census return as XML for the 2024, 2025 or 2026 schema (vendor/cin-census), every element in its
 * `xs:sequence` order, ReferralNFA and ICPCnotRequired as 0/1, the header's ReferenceDate always present;
 * 2024 writes GenderCurrent, 2025 on writes Sex. No build time is written (the same data gives the same bytes).
 */
import type { CensusChild, CensusEpisode } from "./cin-model.js";
import { censusYear, sexCode } from "./cin-rules.js";

const escapeXml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch] as string,
  );

/** A small indenting XML writer that appends to a list of lines. */
class Xml {
  readonly lines: string[] = [];
  private depth = 0;
  open(name: string): this {
    this.lines.push(`${"  ".repeat(this.depth)}<${name}>`);
    this.depth++;
    return this;
  }
  close(name: string): this {
    this.depth--;
    this.lines.push(`${"  ".repeat(this.depth)}</${name}>`);
    return this;
  }
  leaf(name: string, value: string | number | undefined): this {
    if (value !== undefined)
      this.lines.push(`${"  ".repeat(this.depth)}<${name}>${escapeXml(String(value))}</${name}>`);
    return this;
  }
  indent(depth: number): this {
    this.depth = depth;
    return this;
  }
}

function episode(x: Xml, e: CensusEpisode): void {
  x.open("CINdetails")
    .leaf("CINreferralDate", e.referralDate)
    .leaf("ReferralSource", e.referralSource)
    .leaf("PrimaryNeedCode", e.primaryNeed)
    .leaf("CINclosureDate", e.closureDate)
    .leaf("ReasonForClosure", e.closureReason)
    .leaf("DateOfInitialCPC", e.initialConference);
  for (const a of e.assessments) {
    x.open("Assessments").leaf("AssessmentActualStartDate", a.start).leaf("AssessmentAuthorisationDate", a.authorised);
    if (a.factors.length > 0) {
      x.open("FactorsIdentifiedAtAssessment");
      for (const f of a.factors) x.leaf("AssessmentFactors", f);
      x.close("FactorsIdentifiedAtAssessment");
    }
    x.close("Assessments");
  }
  for (const p of e.plans)
    x.open("CINPlanDates").leaf("CINPlanStartDate", p.start).leaf("CINPlanEndDate", p.end).close("CINPlanDates");
  for (const s of e.s47)
    x.open("Section47")
      .leaf("S47ActualStartDate", s.start)
      .leaf("InitialCPCtarget", s.target)
      .leaf("DateOfInitialCPC", s.conference)
      .leaf("ICPCnotRequired", s.notRequired ? "1" : "0")
      .close("Section47");
  x.leaf("ReferralNFA", e.nfa ? "1" : "0");
  for (const c of e.cpps) {
    x.open("ChildProtectionPlans")
      .leaf("CPPstartDate", c.start)
      .leaf("CPPendDate", c.end)
      .leaf("InitialCategoryOfAbuse", c.initialCategory)
      .leaf("LatestCategoryOfAbuse", c.latestCategory)
      .leaf("NumberOfPreviousCPP", c.previous);
    if (c.reviews.length > 0) {
      x.open("Reviews");
      for (const d of c.reviews) x.leaf("CPPreviewDate", d);
      x.close("Reviews");
    }
    x.close("ChildProtectionPlans");
  }
  x.close("CINdetails");
}

/** The XML declaration, header and opening of `<Children>` for LA `lea` and collection `year`. */
export function cinHead(lea: string, year: number): string {
  const x = new Xml();
  x.lines.push('<?xml version="1.0" encoding="UTF-8"?>');
  x.open("Message")
    .open("Header")
    .open("CollectionDetails")
    .leaf("Collection", "CIN")
    .leaf("Year", year)
    .leaf("ReferenceDate", censusYear(year).referenceDate)
    .close("CollectionDetails")
    .open("Source")
    .leaf("SourceLevel", "L")
    .leaf("LEA", lea)
    .leaf("SoftwareCode", "ThinkFamilyGateway")
    .leaf("Release", "1.0")
    .leaf("SerialNo", "001")
    .close("Source")
    .close("Header")
    .open("Children");
  return `${x.lines.join("\n")}\n`;
}

/** The `<Child>` element of one child (which passed the checks), indented under `<Children>`. */
export function cinChildXml(child: CensusChild, year: number): string {
  const x = new Xml().indent(2);
  x.open("Child")
    .open("ChildIdentifiers")
    .leaf("LAchildID", child.laChildId)
    .leaf("UPN", child.upn)
    .leaf("UPNunknown", child.upn === undefined ? child.upnUnknown : undefined)
    .leaf("PersonBirthDate", child.birthDate)
    .leaf("ExpectedPersonBirthDate", child.expectedBirthDate)
    .leaf(year <= 2024 ? "GenderCurrent" : "Sex", sexCode(child.gender, year))
    .close("ChildIdentifiers")
    .open("ChildCharacteristics")
    .leaf("Ethnicity", child.ethnicity);
  if (child.disabilities.length > 0) {
    x.open("Disabilities");
    for (const d of child.disabilities) x.leaf("Disability", d);
    x.close("Disabilities");
  }
  x.close("ChildCharacteristics");
  for (const e of child.episodes) episode(x, e);
  x.close("Child");
  return `${x.lines.join("\n")}\n`;
}

/** The closing of `<Children>` and `<Message>`. */
export const cinTail = () => "  </Children>\n</Message>\n";
