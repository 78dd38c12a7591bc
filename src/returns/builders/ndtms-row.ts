/**
 * One NDTMS core data set row rebuilt from the stored FHIR of an NDTMS episode's source record (the NDTMS
 * mapping's Patient, EpisodeOfCare, referral ServiceRequest and Observations), with NDTMS column names and codes.
 * Identifiers are not filled here: the builder pseudonymises CLIENTID and EPISODID and generalises DOB.
 */

import { LOCAL_ID, TFG_BASE } from "../../fhir/canonical.js";
import { codeIn, dayOf, type Json, referenceOf } from "../../reports/fhir-read.js";
import { NDTMS_COLUMNS } from "../../synth/ndtms.js";
import { ofType, type SourceRecord } from "./source-records.js";

/** The columns of the national extract, in the reference notes' order (NHSNUM and UPRN, local-only, never). */
export const NDTMS_EXTRACT_COLUMNS = NDTMS_COLUMNS.filter(
  (c): c is Exclude<(typeof NDTMS_COLUMNS)[number], "NHSNUM" | "UPRN"> => c !== "NHSNUM" && c !== "UPRN",
);

/** One extract column. */
export type NdtmsColumn = (typeof NDTMS_EXTRACT_COLUMNS)[number];

/** A row: column → value (absent when the record has none). */
export type NdtmsRow = Partial<Record<NdtmsColumn, string>>;

/** What the builder needs besides the row: the local ids to pseudonymise and the consent answer. */
export interface NdtmsEpisodeRow {
  row: NdtmsRow;
  clientId?: string;
  episodeId?: string;
  birthDate?: string;
  consent: boolean;
}

const cs = (id: string) => `${TFG_BASE}/CodeSystem/${id}`;
const sd = (id: string) => `${TFG_BASE}/StructureDefinition/${id}`;
const exts = (r: Json | undefined, url: string): Json[] =>
  ((r?.extension as Json[] | undefined) ?? []).filter((e) => e.url === url);
const code = (concept: unknown, system: string) => codeIn(concept, system);
const OBS = cs("observation-code");
const SEX: Record<string, string> = { male: "1", female: "2", unknown: "9" };

/** The Observation of the record with `obsCode`. */
const observation = (record: SourceRecord, obsCode: string) =>
  ofType(record, "Observation").find((o) => code(o.code, OBS) === obsCode);

/** The component of `obs` with `componentCode`. */
const component = (obs: Json | undefined, componentCode: string) =>
  ((obs?.component as Json[] | undefined) ?? []).find((c) => code(c.code, OBS) === componentCode);

/** A whole number of a component (valueInteger or valueQuantity.value) as text. */
const integerOf = (c: Json | undefined) => {
  const v = c?.valueInteger ?? (c?.valueQuantity as { value?: unknown } | undefined)?.value;
  return typeof v === "number" ? String(v) : undefined;
};

/** The row of `episode` (an NDTMS EpisodeOfCare of `agency`) from its source record. */
export function ndtmsRow(agency: string, episode: Json, record: SourceRecord): NdtmsEpisodeRow {
  const patient = record.resources.get(referenceOf(episode.patient) ?? "");
  const ids = (r: Json | undefined) => (r?.identifier as Json[] | undefined) ?? [];
  const idValue = (r: Json | undefined, system: string) =>
    ids(r).find((i) => i.system === system)?.value as string | undefined;
  const milestone = (type: string) =>
    exts(episode, sd("episode-milestone"))
      .map((m) => (m.extension as Json[] | undefined) ?? [])
      .find(
        (parts) => (parts.find((p) => p.url === "type")?.valueCoding as { code?: string } | undefined)?.code === type,
      )
      ?.find((p) => p.url === "date")?.valueDate as string | undefined;
  const area = (system: string) =>
    exts(episode, sd("area-of-residence"))
      .map((e) => (e.valueReference as { identifier?: { system?: string; value?: string } } | undefined)?.identifier)
      .find((i) => i?.system === system)?.value;
  const substances = exts(episode, sd("problem-substance")).map((e) => code(e.valueCodeableConcept, cs("ndtms-drug")));
  const endReason = (system: string) =>
    exts(episode, sd("episode-end-reason"))
      .map((e) => code(e.valueCodeableConcept, system))
      .find((c) => c !== undefined);
  const referral = record.resources.get(referenceOf((episode.referralRequest as unknown[] | undefined)?.[0]) ?? "");
  const parental = observation(record, "parental-status");
  const pregnancy = code(component(parental, "pregnancy-status")?.valueCodeableConcept, cs("pregnancy-status"));
  const substance = observation(record, "problem-substance-use");
  const alcohol = observation(record, "alcohol-use");
  const item = (obsCode: string, system: string) => code(observation(record, obsCode)?.valueCodeableConcept, system);
  const nationality = exts(patient, "http://hl7.org/fhir/StructureDefinition/patient-nationality")[0];
  const gp = (patient?.generalPractitioner as { identifier?: { value?: unknown } }[] | undefined)?.[0]?.identifier
    ?.value;
  const consent = exts(patient, sd("ndtms-consent"))[0]?.valueBoolean !== false;
  const row: NdtmsRow = {
    SEX: SEX[patient?.gender as string],
    ETHNIC: code(
      exts(patient, "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory")[0]
        ?.valueCodeableConcept,
      "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland",
    ),
    NATION: code(
      ((nationality?.extension as Json[] | undefined) ?? []).find((e) => e.url === "code")?.valueCodeableConcept,
      "urn:iso:std:iso:3166",
    ),
    REFLD: milestone("referral") ?? dayOf((episode.period as Json | undefined)?.start),
    AGNCY: agency,
    CONSENT: consent ? "Y" : "N",
    PREVTR: item("previous-treatment", cs("ndtms-prevtr")),
    ACCMNEED: item("accommodation-need", cs("ndtms-accmneed")),
    PRNTSTAT: code(parental?.valueCodeableConcept, cs("ndtms-prntstat")),
    DAT: area(LOCAL_ID.ndtmsDat),
    PCT: area("https://fhir.nhs.uk/Id/ods-organization-code"),
    LA: area(LOCAL_ID.ndtmsLa),
    GPPTCE: typeof gp === "string" ? gp : undefined,
    DRUG1: code(substance?.valueCodeableConcept, cs("ndtms-drug")) ?? substances[0],
    DRUG1AGE: integerOf(component(substance, "age-at-first-use")),
    ROUTE: code(component(substance, "route-of-use")?.valueCodeableConcept, cs("ndtms-route")),
    DRUG2: substances[1],
    DRUG3: substances[2],
    RFLS: code(exts(referral, sd("referral-source"))[0]?.valueCodeableConcept, cs("ndtms-referral-source")),
    TRIAGED: milestone("triage"),
    CPLANDT: milestone("care-plan"),
    INJSTAT: item("injecting-status", cs("ndtms-injstat")),
    CHILDWTH: integerOf(component(parental, "children-in-household-count")),
    PREGNANT: pregnancy === "pregnant" ? "Y" : pregnancy === "not-pregnant" ? "N" : undefined,
    ALCDDAYS: integerOf(component(alcohol, "drinking-days")),
    ALCUNITS: integerOf(component(alcohol, "alcohol-units")),
    DUALDIAG: item("dual-diagnosis", cs("ndtms-dualdiag")),
    DISD: milestone("discharge") ?? dayOf((episode.period as Json | undefined)?.end),
    DISRSN: endReason(cs("ndtms-disrsn")),
    MODAL: code(exts(episode, sd("treatment-modality"))[0]?.valueCodeableConcept, cs("ndtms-modality")),
    MODST: milestone("modality-start"),
    MODEND: milestone("modality-end"),
    MODEXIT: endReason(cs("ndtms-modexit")),
    EHCSC2: item("ndtms-ehcsc2", cs("ndtms-ehcsc")),
    EHCSC3: item("ndtms-ehcsc3", cs("ndtms-ehcsc")),
    UTLA: area(LOCAL_ID.ndtmsUtla),
  };
  return {
    row,
    clientId: idValue(patient, LOCAL_ID.ndtmsClient(agency)),
    episodeId: idValue(episode, LOCAL_ID.ndtmsEpisode(agency)),
    birthDate: dayOf(patient?.birthDate),
    consent,
  };
}
