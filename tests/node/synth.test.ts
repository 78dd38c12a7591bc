// Synthetic population generator (npm run synth, docs/SYNTH.md): determinism, NHS numbers, CIN XSD
// and DfE rules, NDTMS header and nulls, CPA JSON = NDJSON = CSV, the not-recorded share, household
// consistency with the ground truth, every record ingestible by the gateway's own mappings, and a
// fast-check property over seeds and small populations.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateXML } from "xmllint-wasm";
import { isTestRangeNhsNumber, isValidNhsNumber } from "../../src/fhir/nhs-number.js";
import { cpaParentalStatusCode } from "../../src/mapping/derivations/cpa-household.js";
import { cinRecords } from "../../src/mapping/sources/cin.js";
import { cpaCsvRecords, cpaJsonRecords, cpaNdjsonRecords } from "../../src/mapping/sources/cpa.js";
import type { SourceEvent } from "../../src/mapping/sources/events.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import type { CinYear } from "../../src/synth/config.js";
import { cpaRecordParentalStatus } from "../../src/synth/cpa.js";
import { generate, type SynthResult } from "../../src/synth/generate.js";
import { NDTMS_COLUMNS } from "../../src/synth/ndtms.js";
import { mapAll, textSource } from "../support/map-events.js";

type Rec = Record<string, unknown>;

const NDTMS_REFERENCE_HEADER = [
  "FINITIAL",
  "SINITIAL",
  "DOB",
  "SEX",
  "ETHNIC",
  "NATION",
  "REFLD",
  "AGNCY",
  "CLIENTID",
  "EPISODID",
  "CONSENT",
  "PREVTR",
  "PC",
  "ACCMNEED",
  "PRNTSTAT",
  "DAT",
  "PCT",
  "LA",
  "GPPTCE",
  "DRUG1",
  "DRUG1AGE",
  "ROUTE",
  "DRUG2",
  "DRUG3",
  "RFLS",
  "TRIAGED",
  "CPLANDT",
  "INJSTAT",
  "CHILDWTH",
  "PREGNANT",
  "ALCDDAYS",
  "ALCUNITS",
  "DUALDIAG",
  "DISD",
  "DISRSN",
  "MODAL",
  "MODST",
  "MODEND",
  "MODEXIT",
  "EHCSC2",
  "EHCSC3",
  "UTLA",
  "NHSNUM",
  "UPRN",
].join(",");

// The DfE schemas, vendored with their licence and provenance in vendor/cin-census/.
const xsd = (year: CinYear) =>
  readFileSync(new URL(`../../vendor/cin-census/CIN_schema_${year}.xsd`, import.meta.url), "utf8");
const XSD: Record<CinYear, string> = { 2024: xsd(2024), 2025: xsd(2025), 2026: xsd(2026) };

const fileOf = (r: SynthResult, path: string) => r.files.find((f) => f.path === path)?.content as string;
const filesUnder = (r: SynthResult, dir: string) => r.files.filter((f) => f.path.startsWith(dir));
const truthOf = (r: SynthResult) => JSON.parse(fileOf(r, "ground-truth.json")) as GroundTruth;

interface TruthPerson {
  personId: string;
  kind: string;
  birthDate: string | null;
  expectedBirthDate: string | null;
  nhsNumber: string | null;
  householdId: string;
  sources: {
    cpa: { org: string; localPatientId: string } | null;
    cpaHouseholdListings: { org: string; localPatientId: string; childLocalId: string }[];
    ndtms: { agency: string; clientId: string } | null;
    cin: { la: string; laChildId: string; statusAtReferenceDate: string } | null;
  };
}
interface GroundTruth {
  referenceDate: string;
  collectionStart: string;
  people: TruthPerson[];
  households: { householdId: string; members: { personId: string }[] }[];
  noise: { personId: string; source: string; record: string; kind: string; truth?: string; written?: string }[];
  parentalStatus: { personId: string; cpa: { recording: string; status: string } | null }[];
}

async function collect(events: AsyncIterable<SourceEvent>): Promise<{ data: Rec[]; other: SourceEvent[] }> {
  const data: Rec[] = [];
  const other: SourceEvent[] = [];
  for await (const e of events) {
    if (e.kind === "record") data.push(e.record.data);
    else if (e.kind !== "owner") other.push(e);
  }
  return { data, other };
}

const cpaPatients = (r: SynthResult) => (JSON.parse(fileOf(r, "cpa/cpa.json")) as { Patients: Rec[] }).Patients;
const mpi = (p: Rec) => p.MHS001MPI as Rec;
const household = (p: Rec) => p.Household as Rec | undefined;

/** Rows of an NDTMS file as objects (no quoting needed: the generator never writes commas or quotes). */
function ndtmsRows(text: string): { header: string; rows: Record<string, string>[] } {
  const [header = "", ...lines] = text.trimEnd().split("\n");
  const cols = header.split(",");
  return {
    header,
    rows: lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i] as string, v]))),
  };
}

/** Every NHS number a source writes, with where it is written. */
function writtenNhsNumbers(r: SynthResult): { value: string; record: string }[] {
  const out: { value: string; record: string }[] = [];
  for (const p of cpaPatients(r)) {
    const id = `${p.OrgIDProv}/${mpi(p).LocalPatientId}`;
    if (mpi(p).NHSNumber) out.push({ value: mpi(p).NHSNumber as string, record: id });
    for (const c of (household(p)?.Children as Rec[] | undefined) ?? []) {
      if (c.NHSNumber) out.push({ value: c.NHSNumber as string, record: `${id}/${c.ChildLocalId}` });
    }
  }
  for (const f of filesUnder(r, "ndtms/")) {
    for (const row of ndtmsRows(f.content).rows) {
      if (row.NHSNUM !== "NA") out.push({ value: row.NHSNUM as string, record: `${row.AGNCY}/${row.CLIENTID}` });
    }
  }
  return out;
}

/** The DfE rules (reference notes §3, §7) on one CIN child read by the gateway's reader. */
function cinRuleProblems(child: Rec, ref: string, start: string, year: CinYear): string[] {
  const problems: string[] = [];
  const ids = child.ChildIdentifiers as Rec;
  const id = ids.LAchildID as string;
  const bad = (msg: string) => problems.push(`${id}: ${msg}`);
  if (!/^[A-Za-z0-9]{1,20}$/.test(id)) bad("LAchildID not alphanumeric ≤ 20");
  if (Boolean(ids.PersonBirthDate) === Boolean(ids.ExpectedPersonBirthDate)) bad("birth date xor expected birth date");
  const sex = year === 2024 ? ids.GenderCurrent : ids.Sex;
  const unbornSex = year === 2024 ? "0" : "U";
  if (ids.ExpectedPersonBirthDate && sex !== unbornSex) bad("unborn child sex must be unknown");
  if (ids.PersonBirthDate && sex === unbornSex) bad("born child with unknown sex");
  if (ids.ExpectedPersonBirthDate && (ids.ExpectedPersonBirthDate as string) <= ref)
    bad("expected birth not after ref");
  const episodes = child.CINdetails as Rec[];
  const open = episodes.filter((e) => !e.CINclosureDate && e.ReferralNFA === "0");
  if (open.length > 1) bad("more than one open episode (8815)");
  for (const e of episodes) {
    const referral = e.CINreferralDate as string;
    const closure = e.CINclosureDate as string | undefined;
    if (referral > ref) bad("referral after reference date");
    if (ids.PersonBirthDate && referral < (ids.PersonBirthDate as string)) bad("referral before birth");
    if (Boolean(closure) !== Boolean(e.ReasonForClosure)) bad("closure date and reason go together");
    if (closure && (closure < referral || closure > ref || closure < start)) bad("closure out of range (8630)");
    const assessments = (e.Assessments as Rec[] | undefined) ?? [];
    const plans = (e.CINPlanDates as Rec[] | undefined) ?? [];
    const s47 = (e.Section47 as Rec[] | undefined) ?? [];
    const cpps = (e.ChildProtectionPlans as Rec[] | undefined) ?? [];
    if (e.ReferralNFA === "1") {
      if (assessments.length + plans.length + s47.length + cpps.length > 0) bad("NFA referral with activity");
      if (referral < start) bad("NFA referral before the collection year (8569Q)");
    }
    const activity: string[] = [];
    for (const a of assessments) {
      const factors = ((a.FactorsIdentifiedAtAssessment as Rec | undefined)?.AssessmentFactors as string[]) ?? [];
      if (factors.includes("21") && factors.length > 1) bad("factor 21 combined (8869)");
      if ((a.AssessmentActualStartDate as string) < referral) bad("assessment before referral (1103)");
      if (a.AssessmentAuthorisationDate && factors.length === 0) bad("authorised assessment without factors");
      if (
        a.AssessmentAuthorisationDate &&
        (a.AssessmentAuthorisationDate as string) < (a.AssessmentActualStartDate as string)
      ) {
        bad("authorised before start");
      }
      activity.push(
        a.AssessmentActualStartDate as string,
        ...(a.AssessmentAuthorisationDate ? [a.AssessmentAuthorisationDate as string] : []),
      );
    }
    for (const s of s47) {
      if ((s.S47ActualStartDate as string) < referral) bad("s47 before referral");
      if (s.ICPCnotRequired === "1" && s.DateOfInitialCPC) bad("conference though not required");
      if (s.DateOfInitialCPC && (s.DateOfInitialCPC as string) < (s.S47ActualStartDate as string))
        bad("ICPC before s47");
      activity.push(s.S47ActualStartDate as string, ...(s.DateOfInitialCPC ? [s.DateOfInitialCPC as string] : []));
    }
    for (const c of cpps) {
      if ((c.CPPstartDate as string) < referral) bad("CPP before referral (1105)");
      if (c.CPPstartDate !== e.DateOfInitialCPC) bad("CPP start is not the initial conference date (2885)");
      if (c.CPPendDate && (c.CPPendDate as string) < (c.CPPstartDate as string)) bad("CPP ends before it starts");
      for (const d of ((c.Reviews as Rec | undefined)?.CPPreviewDate as string[]) ?? []) {
        if (d < (c.CPPstartDate as string) || d > ((c.CPPendDate as string) ?? ref)) bad("review outside the plan");
      }
      activity.push(c.CPPstartDate as string, ...(c.CPPendDate ? [c.CPPendDate as string] : []));
    }
    for (const p of plans) {
      if ((p.CINPlanStartDate as string) < referral) bad("CIN plan before referral");
      for (const c of cpps) {
        const overlaps =
          (p.CINPlanStartDate as string) <= ((c.CPPendDate as string) ?? ref) &&
          (c.CPPstartDate as string) <= ((p.CINPlanEndDate as string) ?? ref);
        if (overlaps) bad("CIN plan overlaps CP plan");
      }
      activity.push(p.CINPlanStartDate as string, ...(p.CINPlanEndDate ? [p.CINPlanEndDate as string] : []));
    }
    if (closure && activity.some((d) => d > closure)) bad("activity after closure (8565)");
  }
  return problems;
}

/** Invariants every generated population must satisfy; returns the problems found. */
async function invariantProblems(r: SynthResult, year: CinYear, validateXsd: boolean): Promise<string[]> {
  const problems: string[] = [];
  const truth = truthOf(r);
  const invalid = new Set(truth.noise.filter((n) => n.kind === "nhs-number-invalid").map((n) => n.written));
  for (const { value, record } of writtenNhsNumbers(r)) {
    if (!isTestRangeNhsNumber(value)) problems.push(`${record}: NHS number outside the test range`);
    if (!isValidNhsNumber(value) && !invalid.has(value))
      problems.push(`${record}: invalid NHS number not marked nhs-number-invalid`);
  }
  for (const n of truth.noise) {
    if (n.kind === "nhs-number-mistyped" && !isValidNhsNumber(n.written ?? ""))
      problems.push(`${n.record}: valid mistype fails the check`);
    if (n.kind === "nhs-number-invalid" && isValidNhsNumber(n.written ?? ""))
      problems.push(`${n.record}: invalid mistype passes the check`);
  }
  for (const p of truth.people) {
    if (p.nhsNumber && !(isValidNhsNumber(p.nhsNumber) && isTestRangeNhsNumber(p.nhsNumber))) {
      problems.push(`${p.personId}: issued NHS number invalid`);
    }
  }
  const ndtms = filesUnder(r, "ndtms/");
  if (ndtms.length !== 3) problems.push("expected one NDTMS file per agency");
  for (const f of ndtms) {
    if (!/^ndtms\/N\d{4}-\d{8}-\d{8}-TREAT-IN-P\.csv$/.test(f.path)) problems.push(`bad NDTMS file name ${f.path}`);
    const { header, rows } = ndtmsRows(f.content);
    if (header !== NDTMS_REFERENCE_HEADER) problems.push(`${f.path}: header differs`);
    for (const row of rows) {
      const where = `${f.path} ${row.CLIENTID}/${row.EPISODID}`;
      if (Object.values(row).some((v) => v === "")) problems.push(`${where}: empty value instead of NA`);
      if (Object.keys(row).length !== NDTMS_COLUMNS.length) problems.push(`${where}: wrong column count`);
      const dates = ["DOB", "REFLD", "TRIAGED", "CPLANDT", "MODST", "MODEND", "DISD"].map((c) => row[c] as string);
      if (dates.some((d) => d !== "NA" && !/^\d{4}-\d{2}-\d{2}$/.test(d))) problems.push(`${where}: date format`);
      const [dob, refld, triaged, , modst, modend, disd] = dates as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const age = Number(refld.slice(0, 4)) - Number(dob.slice(0, 4)) - (refld.slice(5) < dob.slice(5) ? 1 : 0);
      if (age < 18 || Number(dob.slice(0, 4)) < 1903) problems.push(`${where}: under 18 at referral`);
      if (triaged < refld || (disd !== "NA" && disd < triaged))
        problems.push(`${where}: referral ≤ triage ≤ discharge`);
      if (modst !== "NA" && modend !== "NA" && modend < modst) problems.push(`${where}: modality dates`);
      if (!["11", "12", "13", "14", "15", "NA"].includes(row.PRNTSTAT as string)) problems.push(`${where}: PRNTSTAT`);
    }
  }
  for (const f of filesUnder(r, "cin/")) {
    if (validateXsd) {
      const v = await validateXML({ xml: [{ fileName: "cin.xml", contents: f.content }], schema: [XSD[year]] });
      if (!v.valid)
        problems.push(
          `${f.path}: XSD ${v.errors
            .slice(0, 3)
            .map((e) => e.message)
            .join("; ")}`,
        );
    }
    if (!f.content.includes("<ReferenceDate>")) problems.push(`${f.path}: no ReferenceDate`);
    const { data, other } = await collect(cinRecords(textSource(f.content)));
    if (other.length > 0) problems.push(`${f.path}: reader problems`);
    for (const child of data)
      problems.push(...cinRuleProblems(child, truth.referenceDate, truth.collectionStart, year));
  }
  return problems;
}

describe("npm run synth", () => {
  const r1000 = generate({ households: 1000, seed: "1" });

  it("is deterministic: same seed and N give identical files, another seed differs", () => {
    const again = generate({ households: 1000, seed: "1" });
    expect(again.files.map((f) => f.path)).toEqual(r1000.files.map((f) => f.path));
    for (const [i, f] of again.files.entries()) expect(f.content === r1000.files[i]?.content, f.path).toBe(true);
    const other = generate({ households: 1000, seed: "2" });
    for (const path of ["cpa/cpa.json", "ground-truth.json", "cin/991_CIN_2026.xml"]) {
      expect(fileOf(other, path)).not.toBe(fileOf(r1000, path));
    }
  });

  it("writes the outputs and counts named in the brief", () => {
    const paths = r1000.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "cpa/cpa.json",
        "cpa/cpa.ndjson",
        "cpa-csv/MHS001MPI.csv",
        "cpa-csv/HouseholdChild.csv",
        "ndtms/N0852-20250401-20260331-TREAT-IN-P.csv",
        "cin/991_CIN_2026.xml",
        "cin/992_CIN_2026.xml",
        "ground-truth.json",
        "manifest.json",
      ]),
    );
    const manifest = JSON.parse(fileOf(r1000, "manifest.json"));
    expect(manifest).toMatchObject({ seed: "1", households: 1000, generator: { version: expect.any(String) } });
    expect(Object.keys(manifest.counts.cpa.byOrg).length).toBeGreaterThanOrEqual(2);
    expect(manifest.counts.cin.unborn).toBeGreaterThan(0);
    expect(manifest.counts.ndtms.consentWithheld).toBeGreaterThan(0);
    const header = JSON.parse(fileOf(r1000, "cpa/cpa.json")).MHS000Header;
    expect(header).toMatchObject({ OrgIDProvider: "RX4", ReportingPeriodEndDate: "2026-03-31" });
  });

  it("writes test-range NHS numbers, valid unless the ground truth marks them invalid (--invalid-nhs), and satisfies every invariant", async () => {
    const written = writtenNhsNumbers(r1000);
    expect(written.length).toBeGreaterThan(100);
    expect(truthOf(r1000).noise.some((n) => n.kind === "nhs-number-mistyped")).toBe(true);
    expect(await invariantProblems(r1000, 2026, false)).toEqual([]);
  });

  it.each([2024, 2025, 2026] as const)(
    "writes CIN %s files that validate against that year's XSD and the DfE rules",
    async (year) => {
      const r = generate({ households: 400, seed: `xsd-${year}`, cinYear: year });
      const files = filesUnder(r, "cin/");
      expect(files.map((f) => f.path)).toEqual([`cin/991_CIN_${year}.xml`, `cin/992_CIN_${year}.xml`]);
      expect(files[0]?.content).toContain(year === 2024 ? "<GenderCurrent>" : "<Sex>");
      expect(files[0]?.content).not.toMatch(/<ReferralNFA>(true|false)/);
      expect(await invariantProblems(r, year, true)).toEqual([]);
    },
  );

  it("covers the hidden-harm factors, young carers, unborn children, plans, s47 and NFA referrals", () => {
    const xml = filesUnder(r1000, "cin/")
      .map((f) => f.content)
      .join("");
    for (const factor of ["1B", "2B", "3B", "3C", "4B", "7A", "21"])
      expect(xml).toContain(`<AssessmentFactors>${factor}<`);
    for (const element of ["<ExpectedPersonBirthDate>", "<ChildProtectionPlans>", "<Section47>", "<CINPlanDates>"]) {
      expect(xml).toContain(element);
    }
    expect(xml).toContain("<ReferralNFA>1</ReferralNFA>");
    expect(xml).toContain("<ICPCnotRequired>1</ICPCnotRequired>");
    // Combinations: a child with parental mental health and substance misuse or domestic abuse factors.
    const assessments = xml
      .split("<FactorsIdentifiedAtAssessment>")
      .slice(1)
      .map((s) => s.split("</FactorsIdentifiedAtAssessment>")[0] as string);
    expect(assessments.some((a) => a.includes(">4B<") && (a.includes(">1B<") || a.includes(">2B<")))).toBe(true);
    expect(
      assessments.some((a) => a.includes(">3B<") && (a.includes(">1B<") || a.includes(">2B<") || a.includes(">4B<"))),
    ).toBe(true);
  });

  it("carries the same CPA records in JSON, NDJSON and the CSV tables (admissions and missed appointments too)", async () => {
    const json = await collect(cpaJsonRecords(textSource(fileOf(r1000, "cpa/cpa.json"))));
    const ndjson = await collect(cpaNdjsonRecords(textSource(fileOf(r1000, "cpa/cpa.ndjson"))));
    const tables = Object.fromEntries(
      filesUnder(r1000, "cpa-csv/").map((f) => [f.path.slice(8), textSource(f.content)]),
    );
    const csv = await collect(cpaCsvRecords(tables));
    expect([json.other, ndjson.other, csv.other]).toEqual([[], [], []]);
    const drop = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(drop);
      if (v && typeof v === "object") {
        return Object.fromEntries(
          Object.entries(v)
            .filter(([, x]) => x !== "")
            .map(([k, x]) => [k, drop(x)]),
        );
      }
      return v;
    };
    const byId = (rs: Rec[]) => Object.fromEntries(rs.map((x) => [`${x.OrgIDProv}/${mpi(x).LocalPatientId}`, drop(x)]));
    expect(ndjson.data).toEqual(json.data);
    expect(byId(csv.data)).toEqual(byId(json.data));
    expect(csv.data.length).toBe(cpaPatients(r1000).length);
    const withEvents = cpaPatients(r1000).flatMap((p) => p.MHS101Referral as Rec[]);
    expect(withEvents.some((x) => x.Admissions)).toBe(true);
    expect(withEvents.some((x) => x.MissedAppointments)).toBe(true);
  });

  it("leaves parental status not recorded in 30–40% of CPA records, and the gateway derives the same status as the ground truth", () => {
    const patients = cpaPatients(r1000);
    const statuses = patients.map((p) => cpaParentalStatusCode(structuredClone(p)));
    const share = statuses.filter((s) => s === "not-recorded").length / patients.length;
    expect(share).toBeGreaterThanOrEqual(0.3);
    expect(share).toBeLessThanOrEqual(0.4);
    expect(patients.filter((p) => !household(p)).length).toBeGreaterThan(0);
    expect(patients.filter((p) => household(p) && !household(p)?.ChildrenQuestion).length).toBeGreaterThan(0);
    expect(statuses).toContain("declined");
    expect(statuses).toContain("children-in-household");
    expect(statuses).toContain("children-elsewhere");
    expect(statuses).toContain("no-children");
    expect(patients.map((p) => cpaRecordParentalStatus(p as never))).toEqual(statuses);
    const truth = truthOf(r1000);
    const recorded = new Map(truth.parentalStatus.filter((s) => s.cpa).map((s) => [s.personId, s.cpa?.status]));
    const byRecord = new Map(
      truth.people
        .filter((p) => p.sources.cpa)
        .map((p) => [`${p.sources.cpa?.org}/${p.sources.cpa?.localPatientId}`, p.personId]),
    );
    patients.forEach((p, i) => {
      expect(recorded.get(byRecord.get(`${p.OrgIDProv}/${mpi(p).LocalPatientId}`) as string)).toBe(statuses[i]);
    });
    const ndtms = filesUnder(r1000, "ndtms/").flatMap((f) => ndtmsRows(f.content).rows);
    expect(ndtms.some((row) => row.PRNTSTAT === "NA")).toBe(true);
    expect(ndtms.some((row) => row.PRNTSTAT === "15")).toBe(true);
    expect(ndtms.some((row) => row.CONSENT === "N" && row.DOB !== "NA")).toBe(true);
  });

  it("lists every child of the household (CIN on a plan included) in a CPA adult's Household when the status was recorded", () => {
    const truth = truthOf(r1000);
    const people = new Map(truth.people.map((p) => [p.personId, p]));
    const records = new Map(cpaPatients(r1000).map((p) => [`${p.OrgIDProv}/${mpi(p).LocalPatientId}`, p]));
    let checkedOnPlan = 0;
    for (const h of truth.households) {
      const members = h.members.map((m) => people.get(m.personId) as TruthPerson);
      for (const adult of members.filter((m) => m.sources.cpa)) {
        const key = `${adult.sources.cpa?.org}/${adult.sources.cpa?.localPatientId}`;
        const rec = records.get(key) as Rec;
        const hh = household(rec);
        if (hh?.ChildrenQuestion !== "Y" && hh?.ChildrenQuestion !== "N") continue;
        const assessed = hh.AssessmentDate as string;
        const listed = ((hh.Children as Rec[] | undefined) ?? []).map((c) => c.ChildLocalId);
        for (const child of members.filter((m) => m.kind !== "adult")) {
          const known = child.birthDate ? child.birthDate <= assessed : true;
          if (!known) continue;
          const listing = child.sources.cpaHouseholdListings.find((l) => `${l.org}/${l.localPatientId}` === key);
          if (child.sources.cin?.statusAtReferenceDate === "CP") checkedOnPlan++;
          if (child.expectedBirthDate && !listing) continue; // pregnancy not yet known when asked
          expect(listing, `${child.personId} in ${key}`).toBeDefined();
          expect(listed).toContain(listing?.childLocalId);
          const entry = ((hh.Children as Rec[]) ?? []).find((c) => c.ChildLocalId === listing?.childLocalId) as Rec;
          expect(entry.PersonBirthDate ?? null).toBe(child.birthDate);
          expect(entry.LivesWithPatient).toBe("Y");
        }
      }
    }
    expect(checkedOnPlan).toBeGreaterThan(0);
  });

  it("links the services through shared households", () => {
    const truth = truthOf(r1000);
    const people = new Map(truth.people.map((p) => [p.personId, p]));
    let cpaWithCp = 0;
    let ndtmsWithCin = 0;
    for (const h of truth.households) {
      const members = h.members.map((m) => people.get(m.personId) as TruthPerson);
      const cin = members.filter((m) => m.sources.cin);
      if (members.some((m) => m.sources.cpa) && cin.some((c) => c.sources.cin?.statusAtReferenceDate === "CP"))
        cpaWithCp++;
      if (members.some((m) => m.sources.ndtms) && cin.length > 0) ndtmsWithCin++;
    }
    expect(cpaWithCp).toBeGreaterThan(5);
    expect(ndtmsWithCin).toBeGreaterThan(5);
    const kinds = new Set(truth.noise.map((n) => n.kind));
    for (const k of [
      "nhs-number-missing",
      "nhs-number-mistyped",
      "given-name-nickname",
      "old-address",
      "parental-status-not-recorded",
    ]) {
      expect(kinds).toContain(k);
    }
  });

  it("gives records the gateway maps with no rejection by default; with --invalid-nhs only those numbers are rejected", async () => {
    for (const [r, invalidNhs] of [
      [r1000, false],
      [generate({ households: 400, seed: "invalid", invalidNhs: true }), true],
    ] as const) {
      const invalid = new Set(
        truthOf(r)
          .noise.filter((n) => n.kind === "nhs-number-invalid")
          .map((n) => n.written),
      );
      let rejected = 0;
      for (const f of r.files) {
        const source =
          f.path === "cpa/cpa.json"
            ? "cpa"
            : f.path.startsWith("ndtms/")
              ? "ndtms"
              : f.path.startsWith("cin/")
                ? "cin"
                : undefined;
        if (!source) continue;
        const text = textSource(f.content);
        const events =
          source === "cpa" ? cpaJsonRecords(text) : source === "ndtms" ? ndtmsRecords(text) : cinRecords(text);
        const { mapped, other } = await mapAll(source, events);
        expect(other).toEqual([]);
        for (const m of mapped) {
          const errors = m.issues.filter((i) => i.severity === "error");
          if (errors.length === 0) continue;
          rejected++;
          for (const e of errors)
            expect(e.diagnostics, `${f.path} ${m.label}`).toMatch(/fails the NHS number check digit/);
        }
      }
      expect(rejected > 0).toBe(invalidNhs && invalid.size > 0);
    }
  });

  it("writes byte-identical files from the CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "tfg-synth-"));
    try {
      const out = execFileSync(
        process.execPath,
        ["--import", "tsx", "src/runtime/cli/synth.ts", "--households", "120", "--seed", "cli", "--out", dir],
        { encoding: "utf8" },
      );
      expect(out).toMatch(/^synth: 120 households/);
      const r = generate({ households: 120, seed: "cli" });
      for (const f of r.files) expect(readFileSync(join(dir, f.path), "utf8") === f.content, f.path).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never throws and keeps every invariant for any seed and small N (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 0, maxLength: 12 }),
        fc.integer({ min: 1, max: 25 }),
        fc.constantFrom<CinYear>(2024, 2025, 2026),
        fc.boolean(),
        async (seed, households, cinYear, invalidNhs) => {
          const r = generate({ households, seed, cinYear, invalidNhs });
          const problems = await invariantProblems(r, cinYear, true);
          expect(problems).toEqual([]);
          if (!invalidNhs) expect(truthOf(r).noise.some((n) => n.kind === "nhs-number-invalid")).toBe(false);
        },
      ),
      { numRuns: 40 },
    );
  });
});
