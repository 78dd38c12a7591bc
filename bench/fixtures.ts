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

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Synthetic postcode districts (real outward-code shapes in areas the synthetic population uses). */
const DISTRICTS = ["LS1", "LS6", "LS11", "BD3", "BD7", "HX1", "WF1", "WF10", "HD1", "HD2", "M14", "M40", "S2", "S5"];

/**
 * One NDTMS row for client i. Clients differ as a population does — initials, birth date (any day of 50 years),
 * sex and postcode spread independently — so few share the attributor (initials, birth date, sex, postcode) by
 * chance, and the person index forms clusters of real size (a fixture where everyone shares initials and a
 * postcode chains thousands of records into a few clusters, which is no population's shape).
 */
export function ndtmsRow(i: number): string {
  const mix = (k: number) => Math.imul(i + 1, k) >>> 0;
  const born = new Date(Date.UTC(1950, 0, 1) + (mix(2654435761) % (50 * 365)) * 86_400_000).toISOString().slice(0, 10);
  const postcode = `${DISTRICTS[mix(40503) % DISTRICTS.length]} ${1 + (mix(69069) % 9)}${LETTERS[mix(1103515245) % 26]}${LETTERS[mix(22695477) % 26]}`;
  const prnt = ["11", "12", "13", "14", "15", "NA"][i % 6];
  const discharged = i % 3 === 0;
  return [
    LETTERS[mix(2246822519) % 26],
    LETTERS[mix(3266489917) % 26],
    born,
    String(1 + (i % 2)),
    "A",
    "GBR",
    "2026-01-10",
    "N0852",
    `C${i}`,
    "E1",
    i % 10 === 0 ? "N" : "Y",
    "NA",
    postcode,
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
