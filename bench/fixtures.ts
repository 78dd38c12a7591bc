/** Synthetic inputs for the ingest benchmarks: N records per source, built from the golden test inputs. */
import { readFileSync } from "node:fs";
import { nhsCheckDigit } from "../src/fhir/nhs-number.js";

/** A test-range NHS number (999…) for index i, valid check digit. */
export function testNhsNumber(i: number): string | undefined {
  const stem = `999${String(i % 1_000_000).padStart(6, "0")}`;
  const check = nhsCheckDigit(stem);
  return check === undefined ? undefined : `${stem}${check}`;
}

const NDTMS_COLUMNS =
  "FINITIAL,SINITIAL,DOB,SEX,ETHNIC,NATION,REFLD,AGNCY,CLIENTID,EPISODID,CONSENT,PREVTR,PC,ACCMNEED,PRNTSTAT,DAT,PCT,LA,GPPTCE,DRUG1,DRUG1AGE,ROUTE,DRUG2,DRUG3,RFLS,TRIAGED,CPLANDT,INJSTAT,CHILDWTH,PREGNANT,ALCDDAYS,ALCUNITS,DUALDIAG,DISD,DISRSN,MODAL,MODST,MODEND,MODEXIT,EHCSC2,EHCSC3,UTLA,NHSNUM,UPRN";

/** One NDTMS row for client i. */
export function ndtmsRow(i: number): string {
  const year = 1950 + (i % 50);
  const prnt = ["11", "12", "13", "14", "15", "NA"][i % 6];
  const discharged = i % 3 === 0;
  return [
    "A",
    "B",
    `${year}-0${1 + (i % 9)}-1${i % 9}`,
    String(1 + (i % 2)),
    "A",
    "GBR",
    "2026-01-10",
    "N0852",
    `C${i}`,
    "E1",
    i % 10 === 0 ? "N" : "Y",
    "NA",
    "ZZ99 3AA",
    "3",
    prnt,
    "NA",
    "NA",
    "NA",
    "NA",
    "1011",
    "20",
    "1",
    "3201",
    "9997",
    "1",
    "2026-01-12",
    "2026-01-20",
    "N",
    String(i % 3),
    i % 7 === 0 ? "Y" : "N",
    "0",
    "0",
    "NA",
    discharged ? "2026-06-01" : "NA",
    discharged ? "2" : "NA",
    "1",
    "2026-01-20",
    discharged ? "2026-06-01" : "NA",
    discharged ? "A" : "NA",
    "NA",
    "NA",
    "NA",
    testNhsNumber(i) ?? "NA",
    String(900000000000 + i),
  ].join(",");
}

/** An NDTMS CSV with n rows. */
export function ndtmsCsv(n: number): string {
  const rows = [NDTMS_COLUMNS];
  for (let i = 0; i < n; i++) rows.push(ndtmsRow(i));
  return `${rows.join("\n")}\n`;
}

/**
 * CPA NDJSON with n patients, each a copy of the golden patient with its own ids (patient, CPA episode,
 * referral); the care team and its practitioners are shared, as in a trust.
 */
export function cpaNdjson(n: number): string {
  const doc = JSON.parse(readFileSync("tests/golden/cpa/input.json", "utf8")) as {
    Patients: Record<string, unknown>[];
  };
  const template = JSON.stringify({ OrgIDProv: "RX4", ...doc.Patients[0] });
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const nhs = testNhsNumber(i) ?? "";
    lines.push(
      template
        .replaceAll('"P001"', `"P${i}"`)
        .replaceAll('"CPA1"', `"CPA-${i}"`)
        .replaceAll('"SR1"', `"SR-${i}"`)
        .replace('"9997654323"', nhs ? `"${nhs}"` : "null"),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** A CIN census XML file with n children, copies of the golden first child with their own ids. */
export function cinXml(n: number): string {
  const xml = readFileSync("tests/golden/cin/input-2026.xml", "utf8");
  const start = xml.indexOf("<Child>");
  const end = xml.indexOf("</Child>") + "</Child>".length;
  const child = xml.slice(start, end);
  const parts: string[] = [];
  for (let i = 0; i < n; i++)
    parts.push(child.replace("<LAchildID>CH0001</LAchildID>", `<LAchildID>B${i}</LAchildID>`));
  return `${xml.slice(0, start)}${parts.join("\n")}${xml.slice(xml.lastIndexOf("</Children>"))}`;
}
