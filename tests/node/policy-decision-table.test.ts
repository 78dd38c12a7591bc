// The baseline sharing protocol (DOMAIN.md §4, policies/sharing-protocol.yaml) as a decision table: each
// hand-written row is organisation type × role × purpose × subject × relationship × consent × reason →
// effect, level and the rule that matched. Consents are real R4 Consent resources read by consentFactsFrom.
// Then the whole cross product against statements DOMAIN.md makes on its own (statistics never person-level,
// no relationship → deny unless break-glass, objections block all but s47, …).
import { describe, expect, it } from "vitest";
import { ORG_TYPES, PURPOSES, ROLES } from "../../src/auth/actor.js";
import { baselinePolicy } from "../../src/policy/baseline.js";
import { consentFactsFrom, ORG_TYPE_IDENTIFIER_SYSTEM, PURPOSE_OF_USE_SYSTEM } from "../../src/policy/consent.js";
import { DEFAULT_DENY, decide } from "../../src/policy/decide.js";
import type { Decision } from "../../src/policy/decision.js";
import type { DecisionRequest, PolicyActor, RelationshipFacts, SubjectKind } from "../../src/policy/facts.js";
import { rankOf } from "../../src/policy/levels.js";
import type { AccessKind } from "../../src/policy/schema.js";

const AT = "2026-06-15T10:00:00Z";
const SUBJECT = "Patient/a0000000000000000000000000000001";
const ORG: Record<PolicyActor["orgType"], string> = {
  "mh-trust": "RX4",
  "drug-alcohol-service": "NDA01",
  "la-childrens-services": "LA201",
  "safeguarding-partnership": "SP01",
  "national-body": "NB01",
};
/** The organisation that made the record, when it is not the caller's own. */
const OTHER_OWNER = "RT9";

const consent = (id: string, type: "permit" | "deny", provision: Record<string, unknown> = {}) => ({
  resourceType: "Consent",
  id,
  status: "active",
  scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
  category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
  patient: { reference: SUBJECT },
  provision: { type, ...provision },
});
const orgType = (t: string) => ({ reference: { identifier: { system: ORG_TYPE_IDENTIFIER_SYSTEM, value: t } } });
const purpose = (p: string) => ({ system: PURPOSE_OF_USE_SYSTEM, code: p });

/** Consent columns: what the person's Consents say, built for the row's caller. */
function consentsFor(kind: string, actor: PolicyActor): unknown[] {
  switch (kind) {
    case "none":
      return [];
    case "permit": // permits the caller's organisation type for the caller's purpose
      return [consent("c1", "permit", { actor: [orgType(actor.orgType)], purpose: [purpose(actor.purposeOfUse)] })];
    case "permit-any": // a permission naming no actor or purpose
      return [consent("c1", "permit")];
    case "permit-other-type":
      return [consent("c1", "permit", { actor: [orgType("mh-trust")] })];
    case "permit-other-purpose":
      return [consent("c1", "permit", { purpose: [purpose("direct-care")] })];
    case "permit-expired":
      return [consent("c1", "permit", { period: { start: "2025-01-01", end: "2026-01-31" } })];
    case "permit-future":
      return [consent("c1", "permit", { period: { start: "2027-01-01" } })];
    case "permit-inactive":
      return [{ ...consent("c1", "permit"), status: "inactive" }];
    case "deny": // a blanket objection
      return [consent("o1", "deny")];
    case "deny-caller-type":
      return [consent("o1", "deny", { actor: [orgType(actor.orgType)] })];
    case "deny-other-type":
      return [consent("o1", "deny", { actor: [orgType("national-body")] })];
    case "deny-other-purpose":
      return [consent("o1", "deny", { purpose: [purpose("quality-audit")] })];
    case "deny-expired":
      return [consent("o1", "deny", { period: { end: "2026-06-14" } })];
    case "deny-unreadable-actor": // an objection naming an actor the gateway cannot read applies to everyone
      return [consent("o1", "deny", { actor: [{ reference: { reference: "Practitioner/x" } }] })];
    case "deny-with-permit-exception": // objection, except the caller's type may see it
      return [consent("o1", "deny", { provision: [{ type: "permit", actor: [orgType(actor.orgType)] }] })];
    case "permit-and-deny": // both recorded: the objection wins
      return [consent("c1", "permit"), consent("o1", "deny")];
    case "entered-in-error":
      return [{ ...consent("o1", "deny"), status: "entered-in-error" }];
    default:
      throw new Error(`unknown consent column ${kind}`);
  }
}

function relationshipsFor(col: string): { facts: RelationshipFacts; own: boolean; review: boolean } {
  const parts = new Set(col.split("+"));
  for (const p of parts)
    if (!["none", "own", "caseload", "household", "child-of-caseload", "review"].includes(p))
      throw new Error(`relationship ${p}`);
  return {
    own: parts.has("own"),
    review: parts.has("review"),
    facts: {
      caseload: parts.has("caseload"),
      householdOfOpenChild: parts.has("household"),
      childOfCaseloadPatient: parts.has("child-of-caseload"),
    },
  };
}

interface Row {
  /** What is asked for (a table line's optional first column, `person-list:` or `aggregate:`); absent: a record. */
  access?: AccessKind;
  orgType: PolicyActor["orgType"];
  role: PolicyActor["role"];
  purpose: PolicyActor["purposeOfUse"];
  subject: SubjectKind;
  relationship: string;
  consent: string;
  reason: string | undefined;
  effect: "permit" | "deny";
  level: string;
  rule: string;
  line: number;
}

function requestOf(row: Omit<Row, "effect" | "level" | "rule" | "line">, ndtms?: boolean): DecisionRequest {
  const actor: PolicyActor = { org: ORG[row.orgType], orgType: row.orgType, role: row.role, purposeOfUse: row.purpose };
  const rel = relationshipsFor(row.relationship);
  const patients =
    ndtms === undefined
      ? []
      : [
          {
            resourceType: "Patient",
            extension: [
              {
                url: "https://think-family-gateway.example/fhir/StructureDefinition/ndtms-consent",
                valueBoolean: ndtms,
              },
            ],
          },
        ];
  return {
    actor,
    ...(row.access ? { access: row.access } : {}),
    subject: rel.review
      ? // a possible-match Task: owned by the gateway, naming a record the caller's organisation made
        { kind: row.subject, owners: ["tfg-gateway"], resourceType: "Task", reviewedOwners: [OTHER_OWNER, actor.org] }
      : { kind: row.subject, owners: [rel.own ? actor.org : OTHER_OWNER], resourceType: "EpisodeOfCare" },
    relationships: rel.facts,
    consents: consentFactsFrom(consentsFor(row.consent, actor), [SUBJECT], patients),
    ...(row.reason !== undefined ? { reason: row.reason } : {}),
    at: AT,
  };
}

// [access:] org-type role purpose subject relationship consent reason → effect level rule
// access (optional): "person-list:" or "aggregate:" for a report; a line without it asks for one record.
// reason: "-" none, "why" a stated reason, "blank" whitespace only. A "*" stands for every value of its
// column (DOMAINS below), so one line is many rows with the same expected decision.
const TABLE = `
# whole columns: what no combination changes
* * statistics * * * * → deny none statistics-aggregates-only
national-body * direct-care * household+caseload none * → deny none default-deny
national-body * direct-care * household+caseload permit * → deny none default-deny
national-body * direct-care * household+caseload deny * → deny none objection-blocks
safeguarding-partnership * child-in-need-s17 adult * none * → deny none default-deny
* analyst safeguarding-s47 adult household none * → deny none default-deny
mh-trust * direct-care * none none * → deny none default-deny
drug-alcohol-service * care-coordination * none none * → deny none default-deny
la-childrens-services * quality-audit * none permit * → deny none default-deny
la-childrens-services * safeguarding-s47 * none none * → deny none default-deny
la-childrens-services * child-in-need-s17 * none permit * → deny none default-deny
# statistics: aggregates and returns only
la-childrens-services practitioner statistics adult household none - → deny none statistics-aggregates-only
mh-trust analyst statistics adult own none - → deny none statistics-aggregates-only
national-body analyst statistics adult none none - → deny none statistics-aggregates-only
mh-trust manager statistics adult caseload permit - → deny none statistics-aggregates-only
drug-alcohol-service system statistics child child-of-caseload none - → deny none statistics-aggregates-only
la-childrens-services safeguarding-lead statistics adult household deny why → deny none statistics-aggregates-only
mh-trust practitioner statistics adult own permit-any why → deny none statistics-aggregates-only
safeguarding-partnership analyst statistics child none none - → deny none statistics-aggregates-only
# the recording organisation sees all of its own record
mh-trust practitioner direct-care adult own none - → permit sensitive recording-organisation
mh-trust practitioner care-coordination adult own none - → permit sensitive recording-organisation
drug-alcohol-service practitioner direct-care adult own deny - → permit sensitive recording-organisation
la-childrens-services practitioner safeguarding-s47 child own none - → permit sensitive recording-organisation
la-childrens-services practitioner child-in-need-s17 child own none - → permit sensitive recording-organisation
mh-trust system direct-care adult own none - → permit sensitive recording-organisation
mh-trust manager direct-care adult own none - → permit sensitive recording-organisation
mh-trust safeguarding-lead direct-care adult own none - → permit sensitive recording-organisation
mh-trust practitioner direct-care adult own+caseload permit - → permit sensitive recording-organisation
drug-alcohol-service practitioner direct-care unknown own none - → permit sensitive recording-organisation
mh-trust analyst direct-care adult own none - → deny none default-deny
mh-trust practitioner quality-audit adult own none - → deny none default-deny
mh-trust manager quality-audit adult own+caseload none - → permit summary worklist-own-organisation
safeguarding-partnership practitioner direct-care adult own none - → deny none default-deny
national-body system direct-care adult own none - → deny none default-deny
mh-trust practitioner break-glass adult own none why → permit summary break-glass
# a recorded objection blocks every purpose but section 47
mh-trust practitioner direct-care child child-of-caseload deny - → deny none objection-blocks
la-childrens-services practitioner child-in-need-s17 adult household deny - → deny none objection-blocks
la-childrens-services practitioner child-in-need-s17 adult household deny why → deny none objection-blocks
la-childrens-services practitioner child-in-need-s17 adult household deny-caller-type - → deny none objection-blocks
la-childrens-services practitioner child-in-need-s17 adult household deny-unreadable-actor - → deny none objection-blocks
la-childrens-services practitioner child-in-need-s17 adult household permit-and-deny - → deny none objection-blocks
mh-trust manager care-coordination adult caseload deny - → deny none objection-blocks
mh-trust manager quality-audit adult caseload deny - → deny none objection-blocks
mh-trust practitioner break-glass adult none deny why → deny none objection-blocks
la-childrens-services practitioner break-glass adult none deny why → deny none objection-blocks
national-body analyst quality-audit adult none deny - → deny none objection-blocks
mh-trust manager direct-care adult caseload deny-caller-type - → deny none objection-blocks
# section 47 over an objection: only with a justification, recorded
la-childrens-services practitioner safeguarding-s47 adult household deny why → permit summary s47-over-objection
la-childrens-services manager safeguarding-s47 adult household deny why → permit summary s47-over-objection
la-childrens-services safeguarding-lead safeguarding-s47 adult household deny why → permit summary s47-over-objection
la-childrens-services system safeguarding-s47 adult household deny why → permit summary s47-over-objection
la-childrens-services practitioner safeguarding-s47 adult household deny-caller-type why → permit summary s47-over-objection
la-childrens-services practitioner safeguarding-s47 adult household permit-and-deny why → permit summary s47-over-objection
la-childrens-services analyst safeguarding-s47 adult household deny why → deny none s47-objection-needs-justification
la-childrens-services practitioner safeguarding-s47 adult household deny - → deny none s47-objection-needs-justification
la-childrens-services practitioner safeguarding-s47 adult household deny blank → deny none s47-objection-needs-justification
la-childrens-services practitioner safeguarding-s47 adult none deny why → deny none s47-objection-needs-justification
mh-trust practitioner safeguarding-s47 adult caseload deny - → deny none s47-objection-needs-justification
la-childrens-services practitioner safeguarding-s47 child household deny why → deny none s47-objection-needs-justification
# section 47 with a stated justification: sensitive detail
la-childrens-services practitioner safeguarding-s47 adult household none why → permit sensitive s47-sensitive-with-justification
la-childrens-services practitioner safeguarding-s47 adult household permit why → permit sensitive s47-sensitive-with-justification
la-childrens-services manager safeguarding-s47 adult household none why → permit sensitive s47-sensitive-with-justification
la-childrens-services safeguarding-lead safeguarding-s47 adult household none why → permit sensitive s47-sensitive-with-justification
la-childrens-services practitioner safeguarding-s47 adult household deny-expired why → permit sensitive s47-sensitive-with-justification
la-childrens-services system safeguarding-s47 adult household none why → permit summary s47-household-adult
la-childrens-services practitioner safeguarding-s47 adult household none blank → permit summary s47-household-adult
# section 47, adult in the household of a child open to the caller's LA: summary without consent
la-childrens-services practitioner safeguarding-s47 adult household none - → permit summary s47-household-adult
la-childrens-services practitioner safeguarding-s47 adult household permit - → permit summary s47-household-adult
la-childrens-services manager safeguarding-s47 adult household none - → permit summary s47-household-adult
la-childrens-services safeguarding-lead safeguarding-s47 adult household none - → permit summary s47-household-adult
la-childrens-services system safeguarding-s47 adult household none - → permit summary s47-household-adult
la-childrens-services practitioner safeguarding-s47 adult household+caseload none - → permit summary s47-household-adult
la-childrens-services practitioner safeguarding-s47 adult household deny-other-purpose - → permit summary s47-household-adult
la-childrens-services practitioner safeguarding-s47 adult household entered-in-error - → permit summary s47-household-adult
la-childrens-services analyst safeguarding-s47 adult household none - → deny none default-deny
la-childrens-services practitioner safeguarding-s47 child household none - → deny none default-deny
la-childrens-services practitioner safeguarding-s47 unknown household none - → deny none default-deny
la-childrens-services practitioner safeguarding-s47 adult none none - → deny none default-deny
la-childrens-services practitioner safeguarding-s47 adult caseload none - → deny none default-deny
mh-trust practitioner safeguarding-s47 adult household none - → deny none default-deny
safeguarding-partnership practitioner safeguarding-s47 adult household none - → deny none default-deny
national-body safeguarding-lead safeguarding-s47 adult household none why → deny none default-deny
# section 17 with the adult's consent: contact
la-childrens-services practitioner child-in-need-s17 adult household permit - → permit contact s17-with-consent
la-childrens-services manager child-in-need-s17 adult household permit - → permit contact s17-with-consent
la-childrens-services safeguarding-lead child-in-need-s17 adult household permit - → permit contact s17-with-consent
la-childrens-services system child-in-need-s17 adult household permit - → permit contact s17-with-consent
la-childrens-services practitioner child-in-need-s17 adult household permit-any - → permit contact s17-with-consent
la-childrens-services practitioner child-in-need-s17 adult household permit why → permit contact s17-with-consent
la-childrens-services practitioner child-in-need-s17 adult household deny-with-permit-exception - → permit contact s17-with-consent
la-childrens-services analyst child-in-need-s17 adult household permit - → deny none default-deny
la-childrens-services practitioner child-in-need-s17 adult none permit - → deny none default-deny
la-childrens-services practitioner child-in-need-s17 child household permit - → deny none default-deny
mh-trust practitioner child-in-need-s17 adult household permit - → deny none default-deny
# section 17 without consent: existence, and the caller is told consent is needed
la-childrens-services practitioner child-in-need-s17 adult household none - → permit existence s17-without-consent
la-childrens-services manager child-in-need-s17 adult household none - → permit existence s17-without-consent
la-childrens-services safeguarding-lead child-in-need-s17 adult household none - → permit existence s17-without-consent
la-childrens-services system child-in-need-s17 adult household none - → permit existence s17-without-consent
la-childrens-services practitioner child-in-need-s17 adult household permit-other-type - → permit existence s17-without-consent
la-childrens-services practitioner child-in-need-s17 adult household permit-other-purpose - → permit existence s17-without-consent
la-childrens-services practitioner child-in-need-s17 adult household permit-expired - → permit existence s17-without-consent
la-childrens-services practitioner child-in-need-s17 adult household permit-future - → permit existence s17-without-consent
la-childrens-services practitioner child-in-need-s17 adult household permit-inactive - → permit existence s17-without-consent
la-childrens-services practitioner child-in-need-s17 adult household deny-expired - → permit existence s17-without-consent
la-childrens-services practitioner child-in-need-s17 adult household deny-other-type - → permit existence s17-without-consent
la-childrens-services practitioner child-in-need-s17 adult household deny-other-purpose - → permit existence s17-without-consent
la-childrens-services practitioner child-in-need-s17 adult household entered-in-error - → permit existence s17-without-consent
la-childrens-services practitioner child-in-need-s17 adult household none why → permit existence s17-without-consent
la-childrens-services practitioner child-in-need-s17 adult none none - → deny none default-deny
la-childrens-services practitioner child-in-need-s17 adult caseload none - → deny none default-deny
# adult services, direct care: the children in a caseload patient's household
mh-trust practitioner direct-care child child-of-caseload none - → permit summary adult-services-household-children
drug-alcohol-service practitioner direct-care child child-of-caseload none - → permit summary adult-services-household-children
mh-trust manager direct-care child child-of-caseload none - → permit summary adult-services-household-children
mh-trust safeguarding-lead direct-care child child-of-caseload none - → permit summary adult-services-household-children
mh-trust system direct-care child child-of-caseload none - → permit summary adult-services-household-children
drug-alcohol-service system direct-care child child-of-caseload permit - → permit summary adult-services-household-children
mh-trust practitioner direct-care child child-of-caseload deny-other-purpose - → permit summary adult-services-household-children
mh-trust practitioner direct-care child child-of-caseload deny-with-permit-exception - → permit summary adult-services-household-children
mh-trust analyst direct-care child child-of-caseload none - → deny none default-deny
mh-trust practitioner direct-care adult child-of-caseload none - → deny none default-deny
mh-trust practitioner direct-care unknown child-of-caseload none - → deny none default-deny
mh-trust practitioner care-coordination child child-of-caseload none - → deny none default-deny
mh-trust practitioner direct-care child none none - → deny none default-deny
mh-trust practitioner direct-care child household none - → deny none default-deny
la-childrens-services practitioner direct-care child child-of-caseload none - → deny none default-deny
national-body practitioner direct-care child child-of-caseload none - → deny none default-deny
# managers and safeguarding leads: their own organisation's caseload at summary
mh-trust manager direct-care adult caseload none - → permit summary worklist-own-organisation
mh-trust safeguarding-lead direct-care adult caseload none - → permit summary worklist-own-organisation
mh-trust manager care-coordination adult caseload none - → permit summary worklist-own-organisation
mh-trust manager quality-audit adult caseload none - → permit summary worklist-own-organisation
drug-alcohol-service manager direct-care adult caseload none - → permit summary worklist-own-organisation
drug-alcohol-service safeguarding-lead quality-audit adult caseload permit - → permit summary worklist-own-organisation
la-childrens-services manager direct-care child caseload none - → permit summary worklist-own-organisation
mh-trust manager direct-care unknown caseload none - → permit summary worklist-own-organisation
mh-trust practitioner direct-care adult caseload none - → deny none default-deny
mh-trust system direct-care adult caseload none - → deny none default-deny
mh-trust analyst quality-audit adult caseload none - → deny none default-deny
mh-trust manager safeguarding-s47 adult caseload none - → deny none default-deny
national-body manager direct-care adult caseload none - → deny none default-deny
safeguarding-partnership safeguarding-lead quality-audit adult caseload none - → deny none default-deny
# possible matches: the safeguarding lead (or a system) of an organisation that made one of the two records
mh-trust safeguarding-lead direct-care adult review none - → permit sensitive match-review
drug-alcohol-service safeguarding-lead quality-audit adult review none - → permit sensitive match-review
la-childrens-services safeguarding-lead care-coordination child review none - → permit sensitive match-review
la-childrens-services system direct-care unknown review none - → permit sensitive match-review
mh-trust safeguarding-lead direct-care adult review permit - → permit sensitive match-review
mh-trust practitioner direct-care adult review none - → deny none default-deny
mh-trust manager direct-care adult review none - → deny none default-deny
mh-trust analyst quality-audit adult review none - → deny none default-deny
national-body safeguarding-lead direct-care adult review none - → deny none default-deny
safeguarding-partnership safeguarding-lead quality-audit adult review none - → deny none default-deny
mh-trust safeguarding-lead safeguarding-s47 adult review none - → deny none default-deny
mh-trust safeguarding-lead direct-care adult review deny - → deny none objection-blocks
mh-trust safeguarding-lead statistics adult review none - → deny none statistics-aggregates-only
mh-trust practitioner break-glass adult review none why → permit summary break-glass
# no legitimate relationship: deny, unless break-glass with a reason
mh-trust practitioner direct-care adult none none - → deny none default-deny
mh-trust practitioner break-glass adult none none why → permit summary break-glass
drug-alcohol-service practitioner break-glass adult none none why → permit summary break-glass
la-childrens-services practitioner break-glass child none none why → permit summary break-glass
mh-trust safeguarding-lead break-glass adult none none why → permit summary break-glass
la-childrens-services safeguarding-lead break-glass adult none permit why → permit summary break-glass
mh-trust practitioner break-glass unknown caseload none why → permit summary break-glass
mh-trust practitioner break-glass adult none deny-other-purpose why → permit summary break-glass
mh-trust practitioner break-glass adult none none - → deny none break-glass-refused
mh-trust practitioner break-glass adult none none blank → deny none break-glass-refused
mh-trust manager break-glass adult none none why → deny none break-glass-refused
mh-trust analyst break-glass adult none none why → deny none break-glass-refused
mh-trust system break-glass adult none none why → deny none break-glass-refused
national-body practitioner break-glass adult none none why → deny none break-glass-refused
safeguarding-partnership safeguarding-lead break-glass adult none none why → deny none break-glass-refused
la-childrens-services practitioner break-glass adult household none - → deny none break-glass-refused
# reports naming people: the organisation's own, for managers, safeguarding leads and systems, never under statistics
person-list: mh-trust manager direct-care unknown own none - → permit summary reports-own-organisation
person-list: mh-trust safeguarding-lead quality-audit unknown own none - → permit summary reports-own-organisation
person-list: drug-alcohol-service system care-coordination unknown own none - → permit summary reports-own-organisation
person-list: la-childrens-services manager safeguarding-s47 unknown own none - → permit summary reports-own-organisation
person-list: la-childrens-services safeguarding-lead child-in-need-s17 unknown own none - → permit summary reports-own-organisation
person-list: mh-trust manager direct-care unknown own deny - → permit summary reports-own-organisation
person-list: * practitioner direct-care * * * * → deny none reports-refused
person-list: mh-trust analyst quality-audit unknown own none - → deny none reports-refused
person-list: mh-trust manager statistics unknown own none - → deny none statistics-aggregates-only
person-list: mh-trust system statistics unknown own none - → deny none statistics-aggregates-only
person-list: mh-trust manager break-glass unknown own none why → deny none reports-refused
person-list: mh-trust manager direct-care unknown none none - → deny none reports-refused
person-list: mh-trust manager direct-care adult caseload none - → deny none reports-refused
person-list: national-body system direct-care unknown own none - → deny none reports-refused
person-list: safeguarding-partnership manager quality-audit unknown own none - → deny none reports-refused
# reports of counts: the organisation's own, for the same roles, statistics included
aggregate: mh-trust manager statistics unknown own none - → permit summary aggregate-reports-own-organisation
aggregate: mh-trust safeguarding-lead direct-care unknown own none - → permit summary aggregate-reports-own-organisation
aggregate: la-childrens-services system quality-audit unknown own none - → permit summary aggregate-reports-own-organisation
aggregate: drug-alcohol-service manager break-glass unknown own none - → permit summary aggregate-reports-own-organisation
aggregate: mh-trust practitioner statistics unknown own none - → deny none reports-refused
aggregate: mh-trust analyst statistics unknown own none - → deny none reports-refused
aggregate: mh-trust manager statistics unknown none none - → deny none reports-refused
aggregate: national-body manager statistics unknown own none - → deny none reports-refused
`;

/** The values a `*` in each column stands for. */
const DOMAINS: string[][] = [
  [...ORG_TYPES],
  [...ROLES],
  [...PURPOSES],
  ["adult", "child", "unknown"],
  ["none", "own", "caseload", "household", "child-of-caseload", "review"],
  ["none", "permit", "deny"],
  ["-", "why"],
];

/** Every combination a row with `*` columns stands for. */
function expand(cols: string[]): string[][] {
  return cols.reduce<string[][]>(
    (acc, col, i) =>
      acc.flatMap((prefix) => (col === "*" ? (DOMAINS[i] as string[]) : [col]).map((v) => [...prefix, v])),
    [[]],
  );
}

const ROWS: Row[] = TABLE.split("\n").flatMap((text, i) => {
  const t = text.trim();
  if (t === "" || t.startsWith("#")) return [];
  const [all, rhs] = t.split("→").map((s) => s.trim().split(/\s+/));
  const access = all?.[0]?.endsWith(":") ? (all[0].slice(0, -1) as AccessKind) : undefined;
  const lhs = access ? all?.slice(1) : all;
  if (access && !["person-list", "aggregate"].includes(access)) throw new Error(`table line ${i}: ${t}`);
  if (!lhs || !rhs || lhs.length !== 7 || rhs.length !== 3) throw new Error(`table line ${i}: ${t}`);
  return expand(lhs).map((cols) => {
    const [orgType, role, purpose, subject, relationship, consent, reason] = cols as string[];
    if (!ORG_TYPES.includes(orgType as never) || !ROLES.includes(role as never) || !PURPOSES.includes(purpose as never))
      throw new Error(`table line ${i}: ${t}`);
    return {
      ...(access ? { access } : {}),
      orgType: orgType as Row["orgType"],
      role: role as Row["role"],
      purpose: purpose as Row["purpose"],
      subject: subject as SubjectKind,
      relationship: relationship as string,
      consent: consent as string,
      reason: reason === "-" ? undefined : reason === "blank" ? "   " : "Reasonable cause to suspect harm (test)",
      effect: rhs[0] as Row["effect"],
      level: rhs[1] as string,
      rule: rhs[2] as string,
      line: i,
    };
  });
});

describe("baseline sharing protocol: decision table", () => {
  const policy = baselinePolicy();

  it(`has at least 200 rows (${ROWS.length})`, () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(200);
  });

  it("covers every rule of the protocol and the default deny", () => {
    const covered = new Set(ROWS.map((r) => r.rule));
    for (const rule of policy.rules) expect(covered, rule.id).toContain(rule.id);
    expect(covered).toContain(DEFAULT_DENY);
  });

  const lines = [...new Set(ROWS.map((r) => r.line))].map((line) => ROWS.filter((r) => r.line === line));
  it.each(lines.map((rows) => [TABLE.split("\n")[(rows[0] as Row).line]?.trim() ?? "", rows] as const))(
    "%s",
    (_line, rows) => {
      for (const row of rows) {
        const d = decide(policy, requestOf(row));
        expect({ effect: d.effect, level: d.level, rule: d.rule }, JSON.stringify(row)).toEqual({
          effect: row.effect,
          level: row.level,
          rule: row.rule,
        });
      }
    },
  );

  it("NDTMS CONSENT = N changes no local decision", () => {
    for (const row of ROWS) {
      const without = decide(policy, requestOf(row));
      const n = decide(policy, requestOf(row, false));
      expect({ effect: n.effect, level: n.level, rule: n.rule }).toEqual({
        effect: without.effect,
        level: without.level,
        rule: without.rule,
      });
    }
  });
});

describe("baseline sharing protocol: obligations and legal basis", () => {
  const policy = baselinePolicy();
  const la = (purposeOfUse: PolicyActor["purposeOfUse"], consent: string, reason?: string): Decision =>
    decide(
      policy,
      requestOf({
        orgType: "la-childrens-services",
        role: "practitioner",
        purpose: purposeOfUse,
        subject: "adult",
        relationship: "household",
        consent,
        reason,
      }),
    );

  it("s47: summary without consent, legal basis Children Act 1989 s47 and DPA 2018, the record owner's safeguarding lead told", () => {
    const d = la("safeguarding-s47", "none");
    expect(d.legalBasis).toBe("Children Act 1989 s47; DPA 2018 Sch. 1 Part 2 para 18");
    expect(d.obligations).toEqual([{ kind: "notify-record-owner-safeguarding-lead", organisations: [OTHER_OWNER] }]);
  });

  it("s47 over an objection records the override, its justification, legal basis and the Consent overridden", () => {
    const d = la("safeguarding-s47", "deny", "Disclosure by the child at school (test)");
    expect(d.rule).toBe("s47-over-objection");
    expect(d.obligations).toContainEqual({
      kind: "record-s47-override",
      justification: "Disclosure by the child at school (test)",
      legalBasis: "Children Act 1989 s47; DPA 2018 Sch. 1 Part 2 para 18",
      overridden: ["Consent/o1"],
    });
    expect(d.consent).toEqual({ state: "deny", sources: ["Consent/o1"] });
  });

  it("s17 without consent tells the caller consent is needed", () => {
    const d = la("child-in-need-s17", "none");
    expect(d.obligations.map((o) => o.kind)).toEqual(["tell-caller-consent-needed"]);
  });

  it("break-glass: queued for the caller's safeguarding lead and expires after the policy's duration", () => {
    const d = decide(
      policy,
      requestOf({
        orgType: "mh-trust",
        role: "practitioner",
        purpose: "break-glass",
        subject: "adult",
        relationship: "none",
        consent: "none",
        reason: "Unconscious patient, no records (test)",
      }),
    );
    expect(d).toMatchObject({ effect: "permit", level: "summary", rule: "break-glass" });
    expect(d.obligations).toEqual([
      { kind: "review-by-safeguarding-lead", organisation: "RX4", reason: "Unconscious patient, no records (test)" },
      { kind: "expires-after", duration: "PT4H", until: "2026-06-15T14:00:00.000Z" },
    ]);
  });

  it("a request with no valid instant is denied, not thrown", () => {
    const req = requestOf({
      orgType: "mh-trust",
      role: "practitioner",
      purpose: "direct-care",
      subject: "adult",
      relationship: "own",
      consent: "none",
      reason: undefined,
    });
    expect(decide(policy, { ...req, at: "not a time" })).toMatchObject({
      effect: "deny",
      level: "none",
      rule: DEFAULT_DENY,
    });
  });

  it("reasons carry codes and rule ids, never the stated reason", () => {
    const d = la("safeguarding-s47", "deny", "Sensitive words 1234 (test)");
    for (const r of d.reasons) expect(r).not.toContain("Sensitive words");
  });
});

describe("baseline sharing protocol: the whole cross product against DOMAIN.md §4", () => {
  const policy = baselinePolicy();
  const SUBJECTS: SubjectKind[] = ["adult", "child", "unknown"];
  const RELATIONSHIPS = [
    "none",
    "own",
    "caseload",
    "household",
    "child-of-caseload",
    "own+caseload",
    "household+caseload",
  ];
  const CONSENTS = ["none", "permit", "deny"];
  const REASONS = [undefined, "why"];
  const all: { row: Omit<Row, "effect" | "level" | "rule" | "line">; d: Decision }[] = [];
  for (const orgType of ORG_TYPES)
    for (const role of ROLES)
      for (const purpose of PURPOSES)
        for (const subject of SUBJECTS)
          for (const relationship of RELATIONSHIPS)
            for (const consent of CONSENTS)
              for (const reason of REASONS) {
                const row = { orgType, role, purpose, subject, relationship, consent, reason };
                all.push({ row, d: decide(policy, requestOf(row)) });
              }

  it(`decides all ${all.length} combinations`, () => {
    expect(all.length).toBeGreaterThan(200);
  });

  it("a permit has a level above none, a legal basis and a rule of the file; a deny has level none and no obligations", () => {
    const ids = new Set(policy.rules.map((r) => r.id));
    for (const { d } of all) {
      if (d.effect === "permit") {
        expect(rankOf(d.level)).toBeGreaterThan(0);
        expect(d.legalBasis).toBeTruthy();
        expect(ids.has(d.rule)).toBe(true);
      } else {
        expect(d.level).toBe("none");
        expect(d.obligations).toEqual([]);
      }
    }
  });

  it("statistics: every person-level read denied", () => {
    for (const { row, d } of all) if (row.purpose === "statistics") expect(d.effect).toBe("deny");
  });

  it("national bodies, safeguarding partnerships and analysts are never given a person-level record", () => {
    for (const { row, d } of all)
      if (row.orgType === "national-body" || row.orgType === "safeguarding-partnership" || row.role === "analyst")
        expect(d.effect, JSON.stringify(row)).toBe("deny");
  });

  it("no legitimate relationship: denied unless break-glass with a reason", () => {
    for (const { row, d } of all) {
      if (row.relationship !== "none" || d.effect === "deny") continue;
      expect(row.purpose).toBe("break-glass");
      expect(row.reason).toBeDefined();
      expect(d.obligations.map((o) => o.kind)).toEqual(["review-by-safeguarding-lead", "expires-after"]);
    }
  });

  it("an objection blocks every purpose but section 47 outside the recording organisation; an s47 permit over it records the override", () => {
    for (const { row, d } of all) {
      if (row.consent !== "deny" || row.relationship.includes("own")) continue;
      if (row.purpose !== "safeguarding-s47") expect(d.effect, JSON.stringify(row)).toBe("deny");
      else if (d.effect === "permit") expect(d.obligations.map((o) => o.kind)).toContain("record-s47-override");
    }
  });

  it("sensitive is shown only inside the recording organisation or with a recorded s47 justification", () => {
    for (const { row, d } of all) {
      if (d.level !== "sensitive") continue;
      const justified = d.obligations.some((o) => o.kind === "record-s47-justification");
      expect(row.relationship.includes("own") || justified, JSON.stringify(row)).toBe(true);
    }
  });

  it("break-glass is never given without a reason", () => {
    for (const { row, d } of all) if (d.rule === "break-glass") expect(row.reason).toBeDefined();
  });

  it("reports: only the organisation's own, only for managers, safeguarding leads and systems; lists never under statistics", () => {
    const REPORTERS: string[] = ["manager", "safeguarding-lead", "system"];
    for (const access of ["person-list", "aggregate"] as const)
      for (const { row } of all) {
        const d = decide(policy, requestOf({ ...row, access }));
        if (d.effect !== "permit") continue;
        expect(row.relationship.includes("own"), JSON.stringify(row)).toBe(true);
        expect(REPORTERS).toContain(row.role);
        expect(d.level).toBe("summary");
        if (access === "person-list") expect(row.purpose).not.toBe("statistics");
        expect(d.rule).toBe(
          access === "person-list" ? "reports-own-organisation" : "aggregate-reports-own-organisation",
        );
      }
  });

  it("a record is never decided by a report rule", () => {
    for (const { d } of all) expect(d.rule).not.toMatch(/reports-/);
  });
});
