/**
 * Writes a CIN census return as XML for the 2024, 2025 or 2026 schema, with every element in
 * its `xs:sequence` order, ReferralNFA and ICPCnotRequired as 0/1, and the header's
 * ReferenceDate present (reference notes §3.1, §7). 2024 writes GenderCurrent (1/2, 0 unborn);
 * 2025 and later write Sex (M/F/U).
 */
import type { CinChild, CinEpisode } from "./cin.js";
import type { CinYear } from "./config.js";
import { addDays } from "./dates.js";

const escapeXml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch] as string,
  );

/** A tiny indenting XML writer. */
class Xml {
  private readonly lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
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

  /** A text element; nothing when the value is undefined. */
  leaf(name: string, value: string | number | undefined): this {
    if (value === undefined) return this;
    this.lines.push(`${"  ".repeat(this.depth)}<${name}>${escapeXml(String(value))}</${name}>`);
    return this;
  }

  toString(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

const GENDER_2024: Record<CinChild["sex"], string> = { M: "1", F: "2", U: "0" };

function writeEpisode(x: Xml, e: CinEpisode): void {
  x.open("CINdetails")
    .leaf("CINreferralDate", e.referralDate)
    .leaf("ReferralSource", e.referralSource)
    .leaf("PrimaryNeedCode", e.primaryNeed)
    .leaf("CINclosureDate", e.closureDate)
    .leaf("ReasonForClosure", e.closureReason)
    .leaf("DateOfInitialCPC", e.initialConference);
  for (const a of e.assessments) {
    x.open("Assessments").leaf("AssessmentActualStartDate", a.start).leaf("AssessmentAuthorisationDate", a.authorised);
    if (a.authorised && a.factors.length > 0) {
      x.open("FactorsIdentifiedAtAssessment");
      for (const f of a.factors) x.leaf("AssessmentFactors", f);
      x.close("FactorsIdentifiedAtAssessment");
    }
    x.close("Assessments");
  }
  for (const p of e.plans)
    x.open("CINPlanDates").leaf("CINPlanStartDate", p.start).leaf("CINPlanEndDate", p.end).close("CINPlanDates");
  for (const s of e.s47) {
    x.open("Section47")
      .leaf("S47ActualStartDate", s.start)
      .leaf("InitialCPCtarget", s.target)
      .leaf("DateOfInitialCPC", s.conference)
      .leaf("ICPCnotRequired", s.notRequired ? "1" : "0")
      .close("Section47");
  }
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

/** The XML text of one LA's return. */
export function cinXml(lea: string, year: CinYear, referenceDate: string, children: CinChild[]): string {
  const x = new Xml();
  x.open("Message")
    .open("Header")
    .open("CollectionDetails")
    .leaf("Collection", "CIN")
    .leaf("Year", year)
    .leaf("ReferenceDate", referenceDate)
    .close("CollectionDetails")
    .open("Source")
    .leaf("SourceLevel", "L")
    .leaf("LEA", lea)
    .leaf("SoftwareCode", "TFGSynth")
    .leaf("Release", "1.0")
    .leaf("SerialNo", "001")
    .leaf("DateTime", `${addDays(referenceDate, 2)}T09:00:00`)
    .close("Source")
    .close("Header")
    .open("Children");
  for (const c of children) {
    x.open("Child")
      .open("ChildIdentifiers")
      .leaf("LAchildID", c.laChildId)
      .leaf("UPN", c.upn)
      .leaf("UPNunknown", c.upnUnknown)
      .leaf("PersonBirthDate", c.birthDate)
      .leaf("ExpectedPersonBirthDate", c.expectedBirthDate);
    if (year === 2024) x.leaf("GenderCurrent", GENDER_2024[c.sex]);
    else x.leaf("Sex", c.sex);
    x.close("ChildIdentifiers").open("ChildCharacteristics").leaf("Ethnicity", c.ethnicity).open("Disabilities");
    for (const d of c.disabilities) x.leaf("Disability", d);
    x.close("Disabilities").close("ChildCharacteristics");
    for (const e of c.episodes) writeEpisode(x, e);
    x.close("Child");
  }
  x.close("Children").close("Message");
  return x.toString();
}
