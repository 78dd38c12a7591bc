/**
 * Scores the gateway's output against a synthetic ground truth: person links (pairs of Patient records
 * in one Person vs truly one person), household membership (pairs of people in one household Group vs
 * truly co-resident) and household-has-children for adults, each as precision, recall and F1, split by
 * whether NHS numbers and UPRNs were present and by noise kind. Pure: the product's output comes in as data.
 */
import { type ScoreRow, Tally } from "./metrics.js";
import { type GroundTruth, noiseRecord, type RecordId, recordsOf, type TruthPerson } from "./truth.js";

/** What a stored Patient record carries, as the scorer needs it. */
export interface ProductRecord {
  /** The Patient id. */
  id: string;
  hasNhsNumber: boolean;
  hasUprn: boolean;
  /** The UPRNs of its addresses. */
  uprns: readonly string[];
  /** Under 18 at the reference date, or unborn (an expected birth date and no birth date), by the record's own dates. */
  minor: boolean;
}

/** The gateway's output, read from its store. */
export interface ProductOutput {
  /** Patient id of each record identifier (`system|value`) found. */
  recordIds: ReadonlyMap<RecordId, string>;
  records: ReadonlyMap<string, ProductRecord>;
  /** The Patient ids of each Person. */
  persons: readonly (readonly string[])[];
  /** The Patient ids of each household's current (not inactive) members. */
  households: readonly (readonly string[])[];
  /** Patient ids with an active household-has-children Flag, or undefined when no flags were derived. */
  hasChildrenFlags?: ReadonlySet<string>;
}

/** One scored measure. */
export interface ScoreSection {
  rows: ScoreRow[];
  notes: string[];
}

/** The whole score. */
export interface ScoreReport {
  personLinks: ScoreSection;
  households: ScoreSection;
  householdHasChildren: HasChildrenSection;
}

/** An adult scored wrongly: the synthetic person id, the outcome and the splits it was counted under. */
export interface Miss {
  personId: string;
  outcome: "fp" | "fn";
  splits: string[];
}

/** household-has-children: rows, which output was scored, and every adult scored wrongly. */
export type HasChildrenSection = ScoreSection & { method: "flag" | "households"; misses: Miss[] };

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

function pairsOf<T>(items: readonly T[], each: (a: T, b: T) => void) {
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) each(items[i] as T, items[j] as T);
}

/** Who each Patient record truly is, and each person's records found in the store. */
function resolve(truth: GroundTruth, product: ProductOutput) {
  const personOfRecord = new Map<string, string>();
  const recordsOfPerson = new Map<string, string[]>();
  for (const [person, ids] of recordsOf(truth)) {
    for (const rid of ids) {
      const patient = product.recordIds.get(rid);
      if (!patient || personOfRecord.has(patient)) continue;
      personOfRecord.set(patient, person);
      recordsOfPerson.set(person, [...(recordsOfPerson.get(person) ?? []), patient]);
    }
  }
  const noiseOfRecord = new Map<string, Set<string>>();
  const noiseOfPerson = new Map<string, Set<string>>();
  for (const n of truth.noise) {
    const rid = noiseRecord(n);
    const patient = rid ? product.recordIds.get(rid) : undefined;
    if (patient) noiseOfRecord.set(patient, (noiseOfRecord.get(patient) ?? new Set()).add(n.kind));
    noiseOfPerson.set(n.personId, (noiseOfPerson.get(n.personId) ?? new Set()).add(n.kind));
  }
  return { personOfRecord, recordsOfPerson, noiseOfRecord, noiseOfPerson };
}

type Resolved = ReturnType<typeof resolve>;

const PAIR_SPLITS = ["nhs:both", "nhs:not-both", "uprn:both", "uprn:not-both"];

/** Person links: every pair of records in one Person, against every pair of records of one true person. */
export function scorePersonLinks(truth: GroundTruth, product: ProductOutput, r: Resolved = resolve(truth, product)) {
  const tally = new Tally();
  const splits = (a: string, b: string) => {
    const ra = product.records.get(a);
    const rb = product.records.get(b);
    const out = [
      ra?.hasNhsNumber && rb?.hasNhsNumber ? "nhs:both" : "nhs:not-both",
      ra?.hasUprn && rb?.hasUprn ? "uprn:both" : "uprn:not-both",
    ];
    for (const k of new Set([...(r.noiseOfRecord.get(a) ?? []), ...(r.noiseOfRecord.get(b) ?? [])]))
      out.push(`noise:${k}`);
    return out;
  };
  const predicted = new Set<string>();
  for (const person of product.persons) {
    const known = [...new Set(person)].filter((p) => r.personOfRecord.has(p));
    pairsOf(known, (a, b) => {
      predicted.add(pairKey(a, b));
      tally.add(r.personOfRecord.get(a) === r.personOfRecord.get(b) ? "tp" : "fp", splits(a, b));
    });
  }
  for (const records of r.recordsOfPerson.values())
    pairsOf(records, (a, b) => {
      if (!predicted.has(pairKey(a, b))) tally.add("fn", splits(a, b));
    });
  const notes = product.persons.length === 0 ? ["no Person resources in the store: no links predicted"] : [];
  return { rows: tally.rows(PAIR_SPLITS), notes };
}

/** Household membership: every pair of people with records in one household Group, against every truly co-resident pair. */
export function scoreHouseholds(truth: GroundTruth, product: ProductOutput, r: Resolved = resolve(truth, product)) {
  const tally = new Tally();
  const people = new Map(truth.people.map((p) => [p.personId, p]));
  const has = (person: string, what: "hasNhsNumber" | "hasUprn") =>
    (r.recordsOfPerson.get(person) ?? []).some((id) => product.records.get(id)?.[what]);
  const splits = (a: string, b: string) => {
    const out = [
      has(a, "hasNhsNumber") && has(b, "hasNhsNumber") ? "nhs:both" : "nhs:not-both",
      has(a, "hasUprn") && has(b, "hasUprn") ? "uprn:both" : "uprn:not-both",
    ];
    for (const k of new Set([...(r.noiseOfPerson.get(a) ?? []), ...(r.noiseOfPerson.get(b) ?? [])]))
      out.push(`noise:${k}`);
    return out;
  };
  const predicted = new Set<string>();
  for (const members of product.households) {
    const persons = [...new Set(members.map((m) => r.personOfRecord.get(m)).filter((p): p is string => !!p))].sort();
    pairsOf(persons, (a, b) => {
      predicted.add(pairKey(a, b));
      tally.add(people.get(a)?.householdId === people.get(b)?.householdId ? "tp" : "fp", splits(a, b));
    });
  }
  for (const h of truth.households) {
    const known = h.members.map((m) => m.personId).filter((p) => r.recordsOfPerson.has(p));
    pairsOf(known, (a, b) => {
      if (!predicted.has(pairKey(a, b))) tally.add("fn", splits(a, b));
    });
  }
  return { rows: tally.rows(PAIR_SPLITS), notes: [] };
}

const SHARE_SPLITS = [
  "shares-uprn-or-nhs",
  "shares-neither",
  "shares-uprn",
  "shares-nhs",
  "listed-in-adults-cpa-record",
  "child-known-only-to-an-adult-elsewhere",
  "no-child-record",
];

/**
 * How an adult's records and a child's are tied by written identifiers: a UPRN both sets of records carry,
 * or an NHS number one carries of the other (an SSD related-people row of the child giving the adult's
 * number as written on the adult's record, or the adult's CPA household section giving the child's).
 */
function shares(adult: TruthPerson, child: TruthPerson, r: Resolved, product: ProductOutput) {
  const a = adult.sources;
  const uprnsOf = (person: string) =>
    new Set((r.recordsOfPerson.get(person) ?? []).flatMap((id) => product.records.get(id)?.uprns ?? []));
  const adultUprns = uprnsOf(adult.personId);
  const uprn = [...uprnsOf(child.personId)].some((u) => adultUprns.has(u));
  const adultNhs = new Set([a.cpa?.nhsNumberWritten, a.ndtms?.nhsNumberWritten].filter((n): n is string => !!n));
  const ssdId = child.sources.ssd?.personId;
  const nhs =
    a.ssdRelatedPeople.some(
      (row) => row.childId === ssdId && !!row.nhsNumberWritten && adultNhs.has(row.nhsNumberWritten),
    ) ||
    child.sources.cpaHouseholdListings.some((l) => l.localPatientId === a.cpa?.localPatientId && !!l.nhsNumberWritten);
  const listed = child.sources.cpaHouseholdListings.some((l) => l.localPatientId === a.cpa?.localPatientId);
  return { uprn, nhs, listed };
}

/**
 * True when every record of the child is a CPA household section's listing by an adult of another household (a
 * parent it does not live with: `LivesWithPatient` N), and no SSD or CIN record: nothing written says where it lives.
 */
function knownOnlyElsewhere(child: TruthPerson, listerHousehold: ReadonlyMap<string, string>): boolean {
  const s = child.sources;
  return (
    !s.ssd &&
    !s.cin &&
    s.cpaHouseholdListings.length > 0 &&
    s.cpaHouseholdListings.every((l) => {
      const h = listerHousehold.get(`${l.org}|${l.localPatientId}`);
      return h !== undefined && h !== child.householdId;
    })
  );
}

/**
 * household-has-children for every adult with a record: the Flag on any of the adult's records when flags
 * were derived, else a household of one of the adult's records holding, as a current member, a record of
 * a minor (under 18 at the reference date by its own birth date, or unborn). True when the adult's true
 * household has a child or unborn child.
 */
export function scoreHouseholdHasChildren(
  truth: GroundTruth,
  product: ProductOutput,
  r: Resolved = resolve(truth, product),
): HasChildrenSection {
  const tally = new Tally();
  const people = new Map(truth.people.map((p) => [p.personId, p]));
  const minorsOfHousehold = new Map<string, string[]>();
  for (const p of truth.people)
    if (p.kind !== "adult")
      minorsOfHousehold.set(p.householdId, [...(minorsOfHousehold.get(p.householdId) ?? []), p.personId]);
  const householdsOfRecord = new Map<string, (readonly string[])[]>();
  for (const members of product.households)
    for (const m of members) householdsOfRecord.set(m, [...(householdsOfRecord.get(m) ?? []), members]);
  const method = product.hasChildrenFlags ? "flag" : "households";
  const misses: Miss[] = [];
  const listerHousehold = new Map<string, string>();
  for (const p of truth.people)
    if (p.sources.cpa) listerHousehold.set(`${p.sources.cpa.org}|${p.sources.cpa.localPatientId}`, p.householdId);
  for (const adult of truth.people) {
    if (adult.kind !== "adult") continue;
    const records = r.recordsOfPerson.get(adult.personId);
    if (!records) continue;
    // The minors the product placed with the adult (true people, when known).
    const placed = new Set<string>();
    let predicted = false;
    for (const rec of records) {
      if (product.hasChildrenFlags?.has(rec)) predicted = true;
      for (const members of householdsOfRecord.get(rec) ?? []) {
        for (const m of members) {
          if (records.includes(m) || !product.records.get(m)?.minor) continue;
          if (!product.hasChildrenFlags) predicted = true;
          const who = r.personOfRecord.get(m);
          if (who) placed.add(who);
        }
      }
    }
    const trueMinors = minorsOfHousehold.get(adult.householdId) ?? [];
    const truly = trueMinors.length > 0;
    if (!predicted && !truly) continue;
    // Shared identifiers are judged against the true minors with a record (for a false positive: those placed).
    const recorded = truly ? trueMinors.filter((id) => r.recordsOfPerson.has(id)) : [...placed];
    const against = recorded.map((id) => people.get(id)).filter((p): p is TruthPerson => !!p);
    const tie = against.map((c) => shares(adult, c, r, product));
    const uprn = tie.some((t) => t.uprn);
    const nhs = tie.some((t) => t.nhs);
    const splits =
      against.length === 0
        ? ["no-child-record"]
        : [
            uprn || nhs ? "shares-uprn-or-nhs" : "shares-neither",
            ...(uprn ? ["shares-uprn"] : []),
            ...(nhs ? ["shares-nhs"] : []),
            ...(tie.some((t) => t.listed) ? ["listed-in-adults-cpa-record"] : []),
            ...(against.every((c) => knownOnlyElsewhere(c, listerHousehold))
              ? ["child-known-only-to-an-adult-elsewhere"]
              : []),
          ];
    const kinds = new Set([adult.personId, ...trueMinors].flatMap((id) => [...(r.noiseOfPerson.get(id) ?? [])]));
    for (const k of kinds) splits.push(`noise:${k}`);
    const outcome = predicted && truly ? "tp" : predicted ? "fp" : "fn";
    tally.add(outcome, splits);
    if (outcome !== "tp") misses.push({ personId: adult.personId, outcome, splits });
  }
  const notes = [
    method === "flag"
      ? "from the household-has-children Flag on any of the adult's records"
      : "no household-has-children Flags in the store: from households (a current member under 18 or unborn)",
  ];
  return { rows: tally.rows(SHARE_SPLITS, true), notes, method, misses };
}

/** Every measure. */
export function score(truth: GroundTruth, product: ProductOutput): ScoreReport {
  const r = resolve(truth, product);
  return {
    personLinks: scorePersonLinks(truth, product, r),
    households: scoreHouseholds(truth, product, r),
    householdHasChildren: scoreHouseholdHasChildren(truth, product, r),
  };
}
