/**
 * `generate(options)`: the whole synthetic population and every output file as text, in a fixed
 * order. Runtime-neutral (no I/O): the Node CLI (src/runtime/cli/synth.ts) writes the files. The
 * same options always give byte-identical files.
 */
import { buildCin, type CinChild } from "./cin.js";
import { cinXml } from "./cin-xml.js";
import {
  AGENCIES,
  AREAS,
  calendarFor,
  DEFAULT_OPTIONS,
  GENERATOR_NAME,
  GENERATOR_VERSION,
  type SynthOptions,
  TRUSTS,
} from "./config.js";
import { buildCpa } from "./cpa.js";
import { addDays, compactDate } from "./dates.js";
import { buildGroundTruth } from "./ground-truth.js";
import { buildPopulation } from "./households.js";
import { PopulationIndex } from "./model.js";
import { buildNdtms } from "./ndtms.js";
import { NoiseLog } from "./noise.js";
import { Rng } from "./prng.js";
import { assignServices } from "./services.js";
import { buildSsd } from "./ssd.js";
import { cpaCsvTables, cpaJson, cpaNdjson, ndtmsCsv, ssdCsvTables, ssdJson } from "./writers.js";

export interface SynthFile {
  /** Relative to the output folder, `/`-separated. */
  path: string;
  content: string;
}

export interface SynthResult {
  files: SynthFile[];
  manifest: Record<string, unknown>;
  /** One line for people. */
  summary: string;
}

const count = <T>(items: T[], key: (t: T) => string) => {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
};

/** NDTMS file name: `<AGNCY>-<YYYYMMDD from>-<YYYYMMDD to>-TREAT-IN-P.csv`. */
export const ndtmsFileName = (agency: string, from: string, to: string) =>
  `${agency}-${compactDate(from)}-${compactDate(to)}-TREAT-IN-P.csv`;

export function generate(input: Partial<SynthOptions> & { households: number }): SynthResult {
  const options: SynthOptions = { ...DEFAULT_OPTIONS, ...input };
  if (!Number.isInteger(options.households) || options.households < 1) {
    throw new RangeError("households must be a whole number of at least 1");
  }
  const calendar = calendarFor(options.cinYear);
  const ref = calendar.referenceDate;
  const rng = new Rng(`tfg-synth/${options.seed}`);
  const log = new NoiseLog();

  const pop = buildPopulation(rng.fork("population"), options.households, calendar);
  const index = new PopulationIndex(pop);
  assignServices(index, rng.fork("services"));
  const cin = buildCin(index, rng.fork("cin"), log);
  const cpa = buildCpa(index, rng.fork("cpa"), log, cin.states, options.invalidNhs);
  const ndtms = buildNdtms(index, rng.fork("ndtms"), log, options.invalidNhs);
  const ssd = buildSsd(index, rng.fork("ssd"), cin.children);

  const files: SynthFile[] = [];
  const firstTrust = Object.keys(TRUSTS)[0] as string;
  files.push({
    path: "cpa/cpa.json",
    content: cpaJson(
      {
        OrgIDProvider: firstTrust,
        OrgIDSubmit: firstTrust,
        ReportingPeriodStartDate: calendar.cpaPeriodStart,
        ReportingPeriodEndDate: ref,
        DateTimeDatSetCreate: `${addDays(ref, 1)}T06:00:00`,
      },
      cpa.patients,
    ),
  });
  files.push({ path: "cpa/cpa.ndjson", content: cpaNdjson(cpa.patients) });
  for (const [name, text] of Object.entries(cpaCsvTables(cpa.patients)))
    files.push({ path: `cpa-csv/${name}`, content: text });
  for (const agency of AGENCIES) {
    files.push({
      path: `ndtms/${ndtmsFileName(agency, calendar.collectionStart, ref)}`,
      content: ndtmsCsv(ndtms.rows.filter((r) => r.AGNCY === agency)),
    });
  }
  const cinByLa = new Map<string, CinChild[]>(AREAS.map((a) => [a.lea, []]));
  for (const c of cin.children) cinByLa.get(c.lea)?.push(c);
  const cinFiles: { la: string; path: string | null; children: number }[] = [];
  for (const [lea, children] of cinByLa) {
    // A CIN return needs at least one Child (XSD); an LA with none gets no file.
    const path = children.length > 0 ? `cin/${lea}_CIN_${options.cinYear}.xml` : null;
    if (path) files.push({ path, content: cinXml(lea, options.cinYear, ref, children) });
    cinFiles.push({ la: lea, path, children: children.length });
  }

  // The LA case-record extract (SSD shape) of the same children, per LA: CSV tables and one JSON document.
  const ssdFiles: { la: string; json: string; csv: string; people: number }[] = [];
  for (const [lea, extract] of ssd.extracts) {
    const people = extract.ssd_person?.length ?? 0;
    if (people === 0) continue;
    files.push({ path: `ssd/${lea}.json`, content: ssdJson(extract) });
    for (const [name, text] of Object.entries(ssdCsvTables(extract)))
      files.push({ path: `ssd-csv/${lea}/${name}`, content: text });
    ssdFiles.push({ la: lea, json: `ssd/${lea}.json`, csv: `ssd-csv/${lea}`, people });
  }

  const meta = {
    generator: { name: GENERATOR_NAME, version: GENERATOR_VERSION },
    seed: options.seed,
    households: options.households,
    cinYear: options.cinYear,
    invalidNhs: options.invalidNhs,
    referenceDate: ref,
    collectionStart: calendar.collectionStart,
  };
  files.push({
    path: "ground-truth.json",
    content: `${JSON.stringify(buildGroundTruth({ index, meta, cpa, ndtms: ndtms.links, cin, ssd, noise: log.entries }))}\n`,
  });

  const people = pop.people;
  const manifest = {
    ...meta,
    counts: {
      households: pop.households.length,
      people: people.length,
      adults: people.filter((p) => p.kind === "adult").length,
      children: people.filter((p) => p.kind === "child").length,
      unborn: people.filter((p) => p.kind === "unborn").length,
      parentChildLinks: pop.parentLinks.length,
      pregnancies: pop.pregnancies.length,
      youngCarers: people.filter((p) => p.youngCarerFor.length > 0).length,
      cpa: {
        patients: cpa.patients.length,
        byOrg: count(cpa.patients, (p) => p.OrgIDProv),
        parentalStatusNotRecorded: cpa.links.filter(
          (l) => l.recording === "no-household" || l.recording === "no-question",
        ).length,
        parentalStatusDeclined: cpa.links.filter((l) => l.recording === "declined").length,
        householdChildrenListed: cpa.links.reduce((s, l) => s + l.listed.length, 0),
      },
      ndtms: {
        rows: ndtms.rows.length,
        clients: ndtms.links.length,
        byAgency: count(ndtms.rows, (r) => r.AGNCY as string),
        consentWithheld: ndtms.links.filter((l) => l.consent === "N").length,
        prntstatNotRecorded: ndtms.rows.filter((r) => r.PRNTSTAT === "NA").length,
      },
      cin: {
        children: cin.children.length,
        byLa: count(cin.children, (c) => c.lea),
        unborn: cin.children.filter((c) => c.expectedBirthDate).length,
        onPlanAtReferenceDate: [...cin.states.values()].filter((s) => s.status === "CP").length,
        episodes: cin.children.reduce((s, c) => s + c.episodes.length, 0),
      },
      ssd: {
        people: ssdFiles.reduce((s, f) => s + f.people, 0),
        relatedPeople: ssd.related.length,
        withNhsNumber: [...ssd.nhsWritten.values()].filter((v) => v !== undefined).length,
      },
      noise: count(log.entries, (e) => e.kind),
    },
    cinFiles,
    ssdFiles,
    files: [] as { path: string; bytes: number }[],
  };
  const encoder = new TextEncoder();
  files.sort((a, b) => a.path.localeCompare(b.path));
  manifest.files = files.map((f) => ({ path: f.path, bytes: encoder.encode(f.content).length }));
  files.push({ path: "manifest.json", content: `${JSON.stringify(manifest, null, 2)}\n` });

  const c = manifest.counts;
  const summary =
    `synth: ${options.households} households, ${c.people} people → CPA ${c.cpa.patients} patients ` +
    `(${Object.keys(c.cpa.byOrg).length} trusts), NDTMS ${c.ndtms.rows} rows (${c.ndtms.clients} clients), ` +
    `CIN ${c.cin.children} children (${c.cin.onPlanAtReferenceDate} on a plan), ` +
    `SSD ${c.ssd.people} people (${c.ssd.relatedPeople} related people); seed ${options.seed}, CIN ${options.cinYear}`;
  return { files, manifest, summary };
}
