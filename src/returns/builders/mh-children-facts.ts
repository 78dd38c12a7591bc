/**
 * What one CPA episode says about the children around its patient, read from the episode's own source record
 * (parental status, pregnancy, children listed with their birth dates, young carers, children's services
 * involvement) and from the patient's derived Flags (linked children on CIN, CP plan, looked after).
 */

import type { ParentalState } from "../../reports/codes.js";
import { OBSERVATION_CODE_SYSTEM, PREGNANCY_STATUS_SYSTEM } from "../../reports/codes.js";
import { parentalStateOf } from "../../reports/episode-answers.js";
import { codeIn, dayOf, type Json, referenceOf } from "../../reports/fhir-read.js";
import { ofType, type SourceRecord } from "./source-records.js";

/** The facts of one episode that the return counts. */
export interface EpisodeFacts {
  parentalStatus: ParentalState;
  pregnant: boolean;
  /** Birth dates of the children the record lists (born ones only). */
  childBirthDates: string[];
  /** Children (or the patient) the record identifies as young carers. */
  youngCarers: number;
  /** Children whose children's services involvement the record reports as yes. */
  childrensServices: number;
  /** Link flags on the patient: code → [start, end] spans. */
  flags: Map<string, { start?: string; end?: string }[]>;
}

const LA_COMPONENT = "childrens-services-la";

const observationCode = (o: Json) => codeIn(o.code, OBSERVATION_CODE_SYSTEM);

/** The latest parental status Observation of a record (by date, then id). */
function latestParental(observations: Json[]): Json | undefined {
  return observations
    .filter((o) => observationCode(o) === "parental-status")
    .sort((a, b) => {
      const da = String(a.effectiveDateTime ?? "");
      const db = String(b.effectiveDateTime ?? "");
      return da === db ? String(b.id).localeCompare(String(a.id)) : db.localeCompare(da);
    })[0];
}

/** The local authority a record names for its children's services involvement, if any. */
export function reportedLa(record: SourceRecord | undefined): string | undefined {
  for (const o of ofType(record, "Observation")) {
    if (observationCode(o) !== "childrens-services-involvement") continue;
    for (const c of (o.component as Json[] | undefined) ?? [])
      if (codeIn(c.code, OBSERVATION_CODE_SYSTEM) === LA_COMPONENT && typeof c.valueString === "string")
        return c.valueString;
  }
  return undefined;
}

/** The facts of an episode of `patient` from its source record and the patient's Flags. */
export function episodeFacts(patient: string, record: SourceRecord | undefined, flags: Json[]): EpisodeFacts {
  const observations = ofType(record, "Observation");
  const parental = latestParental(observations);
  const pregnancy = ((parental?.component as Json[] | undefined) ?? []).find(
    (c) => codeIn(c.code, OBSERVATION_CODE_SYSTEM) === "pregnancy-status",
  );
  const children = ofType(record, "Patient").filter((p) => `Patient/${p.id as string}` !== patient);
  const spans = new Map<string, { start?: string; end?: string }[]>();
  for (const f of flags) {
    if (f.status === "entered-in-error") continue;
    const code = (f.code as { coding?: { code?: string }[] } | undefined)?.coding?.[0]?.code;
    if (!code) continue;
    const p = (f.period as { start?: unknown; end?: unknown } | undefined) ?? {};
    const start = dayOf(p.start);
    const end = dayOf(p.end);
    spans.set(code, [...(spans.get(code) ?? []), { ...(start ? { start } : {}), ...(end ? { end } : {}) }]);
  }
  const yes = (o: Json) => codeIn(o.valueCodeableConcept, "http://terminology.hl7.org/CodeSystem/v2-0136") === "Y";
  return {
    parentalStatus: parentalStateOf(parental),
    pregnant: codeIn(pregnancy?.valueCodeableConcept, PREGNANCY_STATUS_SYSTEM) === "pregnant",
    childBirthDates: children.map((c) => dayOf(c.birthDate)).filter((d): d is string => d !== undefined),
    youngCarers: new Set(
      observations
        .filter((o) => observationCode(o) === "young-carer" && o.valueBoolean === true)
        .map((o) => referenceOf(o.subject)),
    ).size,
    childrensServices: observations.filter((o) => observationCode(o) === "childrens-services-involvement" && yes(o))
      .length,
    flags: spans,
  };
}
