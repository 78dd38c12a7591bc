/**
 * Enforcement (issue 10 scope 5): every record a /fhir read would return is decided under the sharing protocol
 * for the request's caller, redacted to the level permitted, or left out; each request leaves one audit entry.
 * The service layer (src/fhir/resource-service.ts) calls it, so no route can skip it. Deny by default.
 */

import { isLeadNotice } from "../audit/notice-task.js";
import type { Actor } from "../auth/actor.js";
import { ownersOf } from "../auth/ownership.js";
import type { DeriveView } from "../derive/port.js";
import { GatewayError } from "../fhir/errors.js";
import { Lookup } from "../households/lookup.js";
import { pairOf } from "../linkage/resources.js";
import type { StoredVersion } from "../store/port.js";
import type { AuditDecision, AuditEntry, AuditInteraction, AuditSink } from "./audit.js";
import { consentFactsFrom } from "./consent.js";
import { decide, settle } from "./decide.js";
import { type Decision, notifyOf, obligationLabel } from "./decision.js";
import { type ConsentFacts, NO_CONSENTS, NO_RELATIONSHIP, type RelationshipFacts, type SubjectKind } from "./facts.js";
import { type Level, lowerOf, rankOf } from "./levels.js";
import type { Policy } from "./policy.js";
import { redact } from "./redact.js";
import type { RelationshipResolver } from "./relationships.js";
import { ViewRelationshipResolver } from "./relationships-view.js";
import { subjectsOf } from "./subjects.js";

type Json = Record<string, unknown>;

/** Who reads: the verified actor and the reason they stated (break-glass reason, s47 justification), if any. */
export interface Reader {
  actor: Actor;
  reason?: string;
}

/** What enforcement is built from. */
export interface EnforcementDeps {
  policy: Policy;
  /** Read-only view of current resources: relationships and consents are read through it. */
  view: DeriveView;
  /** Default: {@link ViewRelationshipResolver} over `view`. */
  resolver?: RelationshipResolver;
  audit: AuditSink;
  clock: () => Date;
}

/** A record's decision: the combined decision over the people it is about, and who they are. */
export interface RecordDecision {
  decision: Decision;
  subjects: readonly string[];
  /** The permit's obligations as the audit records them ({@link obligationLabel}), sorted. */
  obligationKinds: readonly string[];
}

interface PersonFacts {
  kind: SubjectKind;
  facts: RelationshipFacts;
  consents: ConsentFacts;
}

/** 503: the audit could not record the read, so it is refused. */
export const auditUnavailable = () =>
  new GatewayError(503, "audit-unavailable", [
    {
      severity: "error",
      code: "transient",
      diagnostics: "audit unavailable: the read was refused because it could not be recorded; try again later",
    },
  ]);

/** The body of a stored version (parsed from its JSON when only that is held). */
export function bodyOf(v: StoredVersion): Json | undefined {
  if (v.deleted) return undefined;
  if (v.resource) return v.resource;
  if (v.json === undefined) return undefined;
  return JSON.parse(typeof v.json === "string" ? v.json : new TextDecoder().decode(v.json)) as Json;
}

/** The enforcement point: one {@link ReadSession} per request. */
export class Enforcement {
  private readonly resolver: RelationshipResolver;

  constructor(readonly deps: EnforcementDeps) {
    this.resolver = deps.resolver ?? new ViewRelationshipResolver(deps.view);
  }

  /** Starts deciding for one request; call {@link ReadSession.finish} once its answer is known. */
  begin(reader: Reader, interaction: AuditInteraction, target: string): ReadSession {
    return new ReadSession(this.deps, this.resolver, reader, interaction, target);
  }
}

/** The decisions of one request, cached per record version and per person, and its audit entry. */
export class ReadSession {
  /** The instant every decision of this request is made at. */
  readonly at: string;
  private readonly people = new Map<string, Promise<PersonFacts>>();
  private readonly records = new Map<string, Promise<RecordDecision>>();
  private readonly audited = new Map<string, AuditDecision>();
  private shownAny = false;
  private readonly messages = new Set<string>();
  private hiddenAny = false;

  constructor(
    private readonly deps: EnforcementDeps,
    private readonly resolver: RelationshipResolver,
    private readonly reader: Reader,
    private readonly interaction: AuditInteraction,
    private readonly target: string,
  ) {
    this.at = deps.clock().toISOString();
  }

  private person(subject: string): Promise<PersonFacts> {
    let p = this.people.get(subject);
    if (!p) {
      p = this.resolvePerson(subject);
      this.people.set(subject, p);
    }
    return p;
  }

  private async resolvePerson(subject: string): Promise<PersonFacts> {
    const { view } = this.deps;
    const resolved = await this.resolver.resolve(this.reader.actor, subject, this.at);
    const lookup = new Lookup(view);
    const keys = [...new Set([subject, ...(await lookup.personMates(subject)).map((m) => m.patient)])].sort();
    const consents = await view.find("Consent", [{ kind: "reference", param: "patient", targets: keys }]);
    const patients: Json[] = [];
    for (const key of keys) {
      const p = await view.read("Patient", key.slice("Patient/".length));
      if (p) patients.push(p);
    }
    return {
      kind: resolved.kind,
      facts: resolved.facts,
      consents: consents.length + patients.length > 0 ? consentFactsFrom(consents, keys, patients) : NO_CONSENTS,
    };
  }

  /** For a person-index possible-match Task: the owners of the two records it names (else undefined). */
  private async reviewedOwners(resource: Json): Promise<string[] | undefined> {
    if (resource.resourceType !== "Task") return undefined;
    const pair = pairOf(resource as Parameters<typeof pairOf>[0]);
    if (!pair) return undefined;
    const records = await Promise.all(
      pair.map((k) => (k.startsWith("Patient/") ? this.deps.view.read("Patient", k.slice(8)) : undefined)),
    );
    return [...new Set(records.flatMap((r) => (r ? ownersOf(r) : [])))].sort();
  }

  /** Decides one record (cached by `record`, its `Type/id/_history/n`). */
  decideRecord(resource: Json, record: string): Promise<RecordDecision> {
    let d = this.records.get(record);
    if (!d) {
      d = this.decideFresh(resource);
      this.records.set(record, d);
    }
    return d;
  }

  private async decideFresh(resource: Json): Promise<RecordDecision> {
    const { actor } = this.reader;
    const subjects = subjectsOf(resource);
    // A notice for the safeguarding lead (a break-glass review, an s47 disclosure notice) is the lead's work, not a
    // record of the organisation's: it is read under the review relationship (rule match-review: leads and systems),
    // so the user whose read a review is about never reads the lead's finding or note, and the organisation's other
    // staff do not learn of a section 47 enquiry from it. It is decided on itself: the person it names is not what it
    // discloses, so their caseload and consents do not decide it (an objection to sharing does not hide the lead's own
    // notice from the lead); the audit still names them.
    const review = isLeadNotice(resource);
    const owners = review ? [] : ownersOf(resource);
    const resourceType = typeof resource.resourceType === "string" ? resource.resourceType : undefined;
    const reviewedOwners = review ? ownersOf(resource) : await this.reviewedOwners(resource);
    const base = {
      actor,
      ...(this.reader.reason !== undefined ? { reason: this.reader.reason } : {}),
      at: this.at,
    };
    const one = (kind: SubjectKind, facts: RelationshipFacts, consents: ConsentFacts) =>
      decide(this.deps.policy, {
        ...base,
        subject: {
          kind,
          owners,
          ...(resourceType ? { resourceType } : {}),
          ...(reviewedOwners ? { reviewedOwners } : {}),
        },
        relationships: facts,
        consents,
      });
    // The caller's own record (or a deny by who asks) is decided from the token and the record's tags alone: no
    // lookups. Otherwise each person's age, relationships and consents are read (cached for the request).
    const quick = settle(this.deps.policy, {
      ...base,
      subject: { owners, ...(resourceType ? { resourceType } : {}), ...(reviewedOwners ? { reviewedOwners } : {}) },
    });
    if (quick) {
      const obligationKinds =
        quick.effect === "permit" ? [...new Set(quick.obligations.map(obligationLabel))].sort() : [];
      return { decision: quick, subjects, obligationKinds };
    }
    const decisions: Decision[] = [];
    const decidedFor = review ? [] : subjects;
    if (decidedFor.length === 0) decisions.push(one("unknown", NO_RELATIONSHIP, NO_CONSENTS));
    for (const s of decidedFor) {
      const p = await this.person(s);
      decisions.push(one(p.kind, p.facts, p.consents));
    }
    // A record about several people shows no more than the least any of them allows; one deny withholds it.
    let chosen = decisions[0] as Decision;
    for (const d of decisions) {
      if (d.effect === "deny" && chosen.effect !== "deny") chosen = d;
      else if (chosen.effect === "permit" && lowerOf(d.level, chosen.level) !== chosen.level) chosen = d;
    }
    const kinds = new Set<string>();
    if (chosen.effect === "permit")
      for (const d of decisions) for (const o of d.obligations) kinds.add(obligationLabel(o));
    return { decision: chosen, subjects, obligationKinds: [...kinds].sort() };
  }

  private note(record: string, d: RecordDecision, shown: boolean): void {
    if (shown) {
      this.shownAny = true;
      for (const o of d.decision.obligations) if (o.kind === "tell-caller-consent-needed") this.messages.add(o.message);
    } else this.hiddenAny = true;
    if (this.audited.has(record)) return;
    const { decision } = d;
    this.audited.set(record, {
      record,
      subjects: d.subjects,
      effect: shown ? decision.effect : "deny",
      level: shown ? decision.level : "none",
      rule: decision.rule,
      ...(decision.legalBasis !== undefined && shown ? { legalBasis: decision.legalBasis } : {}),
      obligations: shown ? d.obligationKinds : [],
      ...(shown ? notifyOf(decision) : {}),
    });
  }

  /**
   * What of `v` the reader may see: `v` itself at `sensitive`, a copy holding only the redacted body below it
   * (no stored JSON, so the full text is never served), or undefined. A deletion is decided by `prior`, the live
   * version before it: shown only when that one may be.
   */
  async show(v: StoredVersion, prior?: StoredVersion): Promise<StoredVersion | undefined> {
    const record = `${v.resourceType}/${v.id}/_history/${v.versionId}`;
    if (v.deleted) {
      const before = prior && bodyOf(prior);
      if (!before) {
        this.note(record, this.unknownDeny(), false);
        return undefined;
      }
      const d = await this.decideRecord(before, `${v.resourceType}/${v.id}/_history/${prior.versionId}`);
      const ok = d.decision.effect === "permit";
      this.note(record, d, ok);
      return ok ? v : undefined;
    }
    const body = bodyOf(v);
    if (!body) return undefined;
    const d = await this.decideRecord(body, record);
    const shown = d.decision.effect === "permit" ? redact(body, d.decision.level) : undefined;
    this.note(record, d, shown !== undefined);
    if (shown === undefined) return undefined;
    if (shown === body) return v;
    const { json: _json, ...rest } = v;
    return { ...rest, resource: shown as Json };
  }

  /** What the caller must be told (the `tell-caller-consent-needed` messages of what was shown), fixed phrases only. */
  notices(): string[] {
    return [...this.messages].sort();
  }

  /** The decision of a record with nothing to decide on (a deletion whose earlier version is gone). */
  private unknownDeny(): RecordDecision {
    return {
      decision: {
        effect: "deny",
        level: "none",
        rule: "default-deny",
        policy: "",
        obligations: [],
        reasons: [],
        consent: { state: "none", sources: [] },
      },
      subjects: [],
      obligationKinds: [],
    };
  }

  /** Records the request's audit entry; a sink that fails refuses the read with 503 "audit unavailable". */
  async finish(): Promise<void> {
    const decisions = [...this.audited.values()].sort((a, b) => (a.record < b.record ? -1 : 1));
    const shown = decisions.filter((d) => d.effect === "permit");
    let level: Level = "none";
    for (const d of shown) level = level === "none" || rankOf(d.level) < rankOf(level) ? d.level : level;
    const uniq = <T extends string>(xs: readonly T[]) => [...new Set(xs)].sort();
    const { actor } = this.reader;
    const entry: AuditEntry = {
      at: this.at,
      actor,
      purpose: actor.purposeOfUse,
      reasonGiven: (this.reader.reason ?? "").trim() !== "",
      interaction: this.interaction,
      target: this.target,
      subjects: uniq(decisions.flatMap((d) => d.subjects)),
      level,
      rules: uniq(decisions.map((d) => d.rule)),
      legalBases: uniq(shown.flatMap((d) => (d.legalBasis ? [d.legalBasis] : []))),
      obligations: uniq(shown.flatMap((d) => d.obligations)),
      outcome: this.hiddenAny ? (this.shownAny ? "partial" : "deny") : "permit",
      decisions,
    };
    try {
      await this.deps.audit.record(entry);
    } catch {
      throw auditUnavailable();
    }
  }
}
