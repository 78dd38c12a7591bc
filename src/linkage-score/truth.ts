/** The parts of `ground-truth.json` (src/synth/ground-truth.ts) the scorer reads, and where each person's records are. */

const ID = "https://think-family-gateway.example/fhir/Id";

/** One person of the truth, with the source records written about them. */
export interface TruthPerson {
  personId: string;
  kind: "adult" | "child" | "unborn";
  householdId: string;
  previousAddress?: { uprn: string } | null;
  sources: {
    cpa: {
      org: string;
      localPatientId: string;
      nhsNumberWritten: string | null;
      uprnWritten: string | null;
    } | null;
    cpaHouseholdListings: {
      org: string;
      localPatientId: string;
      childLocalId: string;
      nhsNumberWritten: string | null;
    }[];
    ssd: { la: string; personId: string; nhsNumberWritten: string | null } | null;
    ssdRelatedPeople: { la: string; childId: string; nhsNumberWritten: string | null }[];
    ndtms: { agency: string; clientId: string; nhsNumberWritten: string | null; uprnWritten: string | null } | null;
    cin: { la: string; laChildId: string } | null;
  };
}

/** A true household. */
export interface TruthHousehold {
  householdId: string;
  uprn: string;
  members: { personId: string }[];
}

/** One noise application. */
export interface TruthNoise {
  personId: string;
  source: string;
  record: string;
  kind: string;
}

/** The ground truth as the scorer reads it. */
export interface GroundTruth {
  referenceDate: string;
  people: TruthPerson[];
  households: TruthHousehold[];
  pregnancies?: { mother: string; unbornChild: string; expectedDeliveryDate?: string }[];
  noise: TruthNoise[];
}

/** A Patient record as the identifier (`system|value`) the mappings give it. */
export type RecordId = string;

/** Every record written about each person, as identifiers: CPA, CPA household listings, NDTMS, CIN/SSD (one record). */
export function recordsOf(truth: GroundTruth): Map<string, RecordId[]> {
  const out = new Map<string, RecordId[]>();
  const add = (person: string, id: RecordId) => {
    const list = out.get(person) ?? [];
    if (!list.includes(id)) list.push(id);
    out.set(person, list);
  };
  const cpaOf = new Map<string, { org: string; localPatientId: string }>();
  for (const p of truth.people) {
    const s = p.sources;
    if (s.cpa) {
      add(p.personId, `${ID}/mhsds-local-patient/${s.cpa.org}|${s.cpa.localPatientId}`);
      cpaOf.set(p.personId, s.cpa);
    }
    for (const l of s.cpaHouseholdListings)
      add(p.personId, `${ID}/cpa-household-child/${l.org}|${l.localPatientId}/${l.childLocalId}`);
    if (s.ndtms) add(p.personId, `${ID}/ndtms-client/${s.ndtms.agency}|${s.ndtms.clientId}`);
    if (s.ssd) add(p.personId, `${ID}/cin-la-child/${s.ssd.la}|${s.ssd.personId}`);
    if (s.cin) add(p.personId, `${ID}/cin-la-child/${s.cin.la}|${s.cin.laChildId}`);
  }
  // A CPA patient's own pregnancy is written as an unborn child of the record.
  for (const preg of truth.pregnancies ?? []) {
    const cpa = cpaOf.get(preg.mother);
    const due = preg.expectedDeliveryDate;
    if (cpa && due) add(preg.unbornChild, `${ID}/cpa-household-child/${cpa.org}|${cpa.localPatientId}/unborn/${due}`);
  }
  return out;
}

/** The record identifier a noise entry's `source` and `record` name, or undefined. */
export function noiseRecord(n: TruthNoise): RecordId | undefined {
  const parts = n.record.split("/");
  if (n.source === "cpa" && parts.length === 2) return `${ID}/mhsds-local-patient/${parts[0]}|${parts[1]}`;
  if (n.source === "cpa-household" && parts.length === 3)
    return `${ID}/cpa-household-child/${parts[0]}|${parts[1]}/${parts[2]}`;
  if (n.source === "ndtms" && parts.length === 2) return `${ID}/ndtms-client/${parts[0]}|${parts[1]}`;
  if (n.source === "cin" && parts.length === 2) return `${ID}/cin-la-child/${parts[0]}|${parts[1]}`;
  return undefined;
}
