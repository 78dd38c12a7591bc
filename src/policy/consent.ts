/**
 * Consent facts from FHIR R4 Consent resources (DOMAIN.md §4; profile TFG-Consent), and the person's
 * consent state for one caller and purpose at one instant.
 *
 * Read: `status` `active`, `scope` `patient-privacy`, `patient` the subject, `provision.type`
 * permit or deny (deny is an objection), `provision.actor[].reference.identifier` naming an
 * organisation type (system {@link ORG_TYPE_IDENTIFIER_SYSTEM}) or one organisation (any other
 * system: ODS, LA or NDTMS agency code), `provision.purpose` (system {@link PURPOSE_OF_USE_SYSTEM}),
 * `provision.period`, and nested `provision.provision` as exceptions.
 *
 * When a provision cannot be fully read, objections widen and permissions narrow: an objection
 * naming an actor or purpose the gateway cannot read applies to every actor or purpose; a
 * permission applies only to what it can read, and not at all when it can read none of it.
 */
import { codeSystemUrl, TFG_BASE } from "../fhir/canonical.js";
import type { ConsentFacts, ConsentProvision, PolicyActor } from "./facts.js";
import type { ConsentState } from "./schema.js";

/** Identifier system of `Consent.provision.actor.reference.identifier` naming a whole organisation type (`la-childrens-services`). */
export const ORG_TYPE_IDENTIFIER_SYSTEM = `${TFG_BASE}/Id/organisation-type`;
/** Code system of `Consent.provision.purpose`. */
export const PURPOSE_OF_USE_SYSTEM = codeSystemUrl("purpose-of-use");
/** `Consent.scope` coding system and code the gateway reads. */
export const CONSENT_SCOPE = { system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" };
/** The Patient extension carrying NDTMS `CONSENT`. */
export const NDTMS_CONSENT_URL = `${TFG_BASE}/StructureDefinition/ndtms-consent`;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v : undefined);

function hasScope(consent: Json): boolean {
  return arr(obj(consent.scope)?.coding).some((c) => {
    const coding = obj(c);
    return coding?.system === CONSENT_SCOPE.system && coding.code === CONSENT_SCOPE.code;
  });
}

/** The provision's actors and purposes as read, with whether anything could not be read. */
function readScope(p: Json) {
  const orgTypes: string[] = [];
  const orgs: string[] = [];
  let unreadActor = false;
  for (const a of arr(p.actor)) {
    const id = obj(obj(obj(a)?.reference)?.identifier);
    const system = str(id?.system);
    const value = str(id?.value);
    if (!system || !value) unreadActor = true;
    else if (system === ORG_TYPE_IDENTIFIER_SYSTEM) orgTypes.push(value);
    else orgs.push(value.trim().toUpperCase());
  }
  const purposes: string[] = [];
  let unreadPurpose = false;
  for (const c of arr(p.purpose)) {
    const coding = obj(c);
    const code = str(coding?.code);
    if (coding?.system === PURPOSE_OF_USE_SYSTEM && code) purposes.push(code);
    else unreadPurpose = true;
  }
  return { orgTypes, orgs, unreadActor, purposes, unreadPurpose };
}

function readPeriod(p: Json): { period?: ConsentProvision["period"]; unread: boolean } {
  const period = obj(p.period);
  if (!period) return { unread: false };
  const start = str(period.start);
  const end = str(period.end);
  const unread =
    (start !== undefined && bound(start, "start") === undefined) ||
    (end !== undefined && bound(end, "end") === undefined);
  return { period: { ...(start ? { start } : {}), ...(end ? { end } : {}) }, unread };
}

/** One provision (and its exceptions), or undefined where a permission cannot apply to anything. */
function readProvision(
  p: Json,
  source: string,
  inherited: "permit" | "deny" | undefined,
): ConsentProvision | undefined {
  const type =
    p.type === "permit" || p.type === "deny"
      ? p.type
      : inherited === undefined
        ? undefined
        : inherited === "permit"
          ? "deny"
          : "permit";
  if (!type) return undefined;
  const scope = readScope(p);
  const { period, unread: unreadPeriod } = readPeriod(p);
  if (type === "permit") {
    if (scope.unreadActor && scope.orgTypes.length + scope.orgs.length === 0) return undefined;
    if (scope.unreadPurpose && scope.purposes.length === 0) return undefined;
    if (unreadPeriod) return undefined;
  }
  const exceptions = arr(p.provision)
    .map((x) => obj(x))
    .filter((x): x is Json => x !== undefined)
    .map((x) => readProvision(x, source, type))
    .filter((x): x is ConsentProvision => x !== undefined);
  const widen = type === "deny";
  return {
    type,
    orgTypes: widen && scope.unreadActor ? [] : scope.orgTypes,
    orgs: widen && scope.unreadActor ? [] : scope.orgs,
    purposes: widen && scope.unreadPurpose ? [] : scope.purposes,
    ...(period && !(widen && unreadPeriod) ? { period } : {}),
    exceptions,
    source,
  };
}

/**
 * The consent facts for a person from their Consent resources and (optionally) their Patient
 * records: Consents not `active`, not `patient-privacy`, or about another patient are left out.
 * `subjects` are the person's `Patient/id` keys (every record the person index links).
 */
export function consentFactsFrom(
  consents: readonly unknown[],
  subjects: readonly string[],
  patients: readonly unknown[] = [],
): ConsentFacts {
  const mine = new Set(subjects);
  const provisions: ConsentProvision[] = [];
  for (const c of consents) {
    const consent = obj(c);
    if (consent?.resourceType !== "Consent" || consent.status !== "active" || !hasScope(consent)) continue;
    const patient = str(obj(consent.patient)?.reference);
    if (!patient || !mine.has(patient)) continue;
    const provision = obj(consent.provision);
    if (!provision) continue;
    const read = readProvision(provision, `Consent/${String(consent.id ?? "")}`, undefined);
    if (read) provisions.push(read);
  }
  let ndtms: boolean | undefined;
  for (const p of patients) {
    for (const e of arr(obj(p)?.extension)) {
      const ext = obj(e);
      if (ext?.url === NDTMS_CONSENT_URL && typeof ext.valueBoolean === "boolean")
        ndtms = ndtms === false ? false : ext.valueBoolean;
    }
  }
  return { provisions, ...(ndtms !== undefined ? { ndtmsNationalReturn: ndtms } : {}) };
}

/** Epoch ms of a period bound; a date alone covers its whole day (UTC). Undefined when unreadable. */
function bound(value: string, side: "start" | "end"): number | undefined {
  const date = /^\d{4}(-\d{2}(-\d{2})?)?$/.exec(value);
  if (date) {
    const [y, m = "01", d = "01"] = value.split("-");
    const start = Date.UTC(Number(y), Number(m) - 1, Number(d));
    if (side === "start") return start;
    const next =
      value.length === 4
        ? Date.UTC(Number(y) + 1, 0, 1)
        : value.length === 7
          ? Date.UTC(Number(y), Number(m), 1)
          : start + 86_400_000;
    return next - 1;
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

function applies(p: ConsentProvision, actor: PolicyActor, at: number): boolean {
  const anyActor = p.orgTypes.length + p.orgs.length === 0;
  if (!anyActor && !p.orgTypes.includes(actor.orgType) && !p.orgs.includes(actor.org.trim().toUpperCase()))
    return false;
  if (p.purposes.length > 0 && !p.purposes.includes(actor.purposeOfUse)) return false;
  const start = p.period?.start ? bound(p.period.start, "start") : undefined;
  const end = p.period?.end ? bound(p.period.end, "end") : undefined;
  if (start !== undefined && at < start) return false;
  if (end !== undefined && at > end) return false;
  return true;
}

/** What an applicable provision says once its exceptions are read: an applicable exception decides, an objection among them first. */
function outcome(p: ConsentProvision, actor: PolicyActor, at: number): "permit" | "deny" {
  const hits = p.exceptions.filter((x) => applies(x, actor, at)).map((x) => outcome(x, actor, at));
  if (hits.includes("deny")) return "deny";
  if (hits.includes("permit")) return "permit";
  return p.type;
}

/**
 * The person's consent for `actor` (organisation, type, purpose) at instant `at`: `deny` when any
 * Consent objects, else `permit` when one permits, else `none`; with the Consents that decided.
 * To lift an objection, its Consent is made `inactive`: a later permission does not outweigh it.
 */
export function consentState(
  facts: ConsentFacts,
  actor: PolicyActor,
  at: string,
): { state: ConsentState; sources: string[] } {
  const t = Date.parse(at);
  const found = { permit: [] as string[], deny: [] as string[] };
  for (const p of facts.provisions) {
    if (!applies(p, actor, t)) continue;
    found[outcome(p, actor, t)].push(p.source);
  }
  if (found.deny.length > 0) return { state: "deny", sources: found.deny };
  if (found.permit.length > 0) return { state: "permit", sources: found.permit };
  return { state: "none", sources: [] };
}

/**
 * What of a client's record may go into the NDTMS national return (DOMAIN.md §4): everything, or
 * with `CONSENT` = N only agency, client id and consent. Local sharing decisions do not read this.
 */
export const ndtmsReturnScope = (facts: ConsentFacts): "full" | "agency-client-consent-only" =>
  facts.ndtmsNationalReturn === false ? "agency-client-consent-only" : "full";
