// settle (src/policy/decide.ts) decides from the token and the record's tags alone, before any lookup: whenever it
// answers, its answer is decide's for every value of the facts it did not read (subject's age, relationships,
// consent). Checked over random protocols and requests, and on the baseline protocol for the cases it must settle.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ORG_TYPES, PURPOSES, ROLES } from "../../src/auth/actor.js";
import { baselinePolicy } from "../../src/policy/baseline.js";
import { decide, settle } from "../../src/policy/decide.js";
import type { Decision } from "../../src/policy/decision.js";
import type { ConsentFacts, DecisionRequest, PolicyActor } from "../../src/policy/facts.js";
import type { Policy, Rule } from "../../src/policy/policy.js";
import { ACCESS_KINDS, CONSENT_STATES, OBLIGATION_KINDS, RELATIONSHIPS } from "../../src/policy/schema.js";

const AT = "2026-06-15T10:00:00Z";
const ORGS = ["RX4", "LA201", "NDA01"] as const;

const provision = (type: "permit" | "deny", source: string) => ({
  type,
  orgTypes: [],
  orgs: [],
  purposes: [],
  exceptions: [],
  source,
});
const CONSENTS: Record<(typeof CONSENT_STATES)[number], ConsentFacts> = {
  none: { provisions: [] },
  permit: { provisions: [provision("permit", "Consent/c1")] },
  deny: { provisions: [provision("deny", "Consent/o1")] },
};

const subset = <T>(xs: readonly T[]) => fc.subarray([...xs], { minLength: 1 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const ruleArb: fc.Arbitrary<Omit<Rule, "id">> = fc
  .record({
    access: maybe(subset(ACCESS_KINDS)),
    orgTypes: maybe(subset(ORG_TYPES)),
    roles: maybe(subset(ROLES)),
    purposes: maybe(subset(PURPOSES)),
    subjects: maybe(subset(["adult", "child"] as const)),
    relationships: maybe(subset(RELATIONSHIPS)),
    consent: maybe(subset(CONSENT_STATES)),
    reasonGiven: maybe(fc.constant(true as const)),
    effect: fc.constantFrom("permit" as const, "deny" as const),
    level: fc.constantFrom("existence" as const, "contact" as const, "summary" as const, "sensitive" as const),
    obligations: fc.subarray([...OBLIGATION_KINDS]),
  })
  .map(({ effect, level, obligations, ...when }) => {
    const w = Object.fromEntries(Object.entries(when).filter(([, v]) => v !== undefined));
    return effect === "deny"
      ? { description: "d", when: w, effect }
      : { description: "p", when: w, effect, level, legalBasis: "basis", obligations };
  });

const policyArb: fc.Arbitrary<Policy> = fc.array(ruleArb, { minLength: 0, maxLength: 6 }).map((rules) => ({
  file: "random.yaml",
  name: "Random",
  version: 1,
  breakGlassExpiresAfter: "PT4H",
  rules: rules.map((r, i) => ({ ...r, id: `r${i}` }) as Rule),
}));

const requestArb: fc.Arbitrary<DecisionRequest> = fc
  .record({
    access: fc.constantFrom(undefined, ...ACCESS_KINDS),
    org: fc.constantFrom(...ORGS),
    orgType: fc.constantFrom(...ORG_TYPES),
    role: fc.constantFrom(...ROLES),
    purposeOfUse: fc.constantFrom(...PURPOSES),
    kind: fc.constantFrom("adult" as const, "child" as const, "unknown" as const),
    owners: fc.subarray([...ORGS]),
    reviewedOwners: maybe(fc.subarray([...ORGS])),
    caseload: fc.boolean(),
    householdOfOpenChild: fc.boolean(),
    childOfCaseloadPatient: fc.boolean(),
    consent: fc.constantFrom(...CONSENT_STATES),
    reason: fc.constantFrom(undefined, "", "a stated reason"),
  })
  .map((r) => ({
    actor: { org: r.org, orgType: r.orgType, role: r.role, purposeOfUse: r.purposeOfUse } as PolicyActor,
    ...(r.access ? { access: r.access } : {}),
    subject: {
      kind: r.kind,
      owners: r.owners,
      resourceType: "Patient",
      ...(r.reviewedOwners ? { reviewedOwners: r.reviewedOwners } : {}),
    },
    relationships: {
      caseload: r.caseload,
      householdOfOpenChild: r.householdOfOpenChild,
      childOfCaseloadPatient: r.childOfCaseloadPatient,
    },
    consents: CONSENTS[r.consent],
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    at: AT,
  }));

/** What settle must agree with decide on (not the consent it did not read, nor the wording of the facts line). */
const outcome = (d: Decision) => ({
  effect: d.effect,
  level: d.level,
  rule: d.rule,
  legalBasis: d.legalBasis,
  obligations: d.obligations,
  needsReason: d.reasons.filter((r) => r.includes("needs a stated reason")),
});

const quick = (r: DecisionRequest) => {
  const { relationships: _r, consents: _c, subject, ...rest } = r;
  const { kind: _k, ...tags } = subject;
  return { ...rest, subject: tags };
};

describe("settle: a decision before any lookup", () => {
  it("whenever it answers, decide gives the same answer for the full facts (random protocols)", () => {
    fc.assert(
      fc.property(policyArb, requestArb, (policy, request) => {
        const settled = settle(policy, quick(request));
        if (settled === undefined) return;
        expect(settled.consent).toBeUndefined();
        expect(outcome(settled)).toEqual(outcome(decide(policy, request)));
      }),
      { numRuns: 20000 },
    );
  });

  it("on the baseline protocol: the same answer as decide, for every fact it did not read", () => {
    const policy = baselinePolicy();
    fc.assert(
      fc.property(requestArb, (request) => {
        const settled = settle(policy, quick(request));
        if (settled) expect(outcome(settled)).toEqual(outcome(decide(policy, request)));
      }),
      { numRuns: 20000 },
    );
  });

  it("settles a practitioner's read of their own organisation's record, and statistics, without lookups", () => {
    const policy = baselinePolicy();
    const actor: PolicyActor = { org: "RX4", orgType: "mh-trust", role: "practitioner", purposeOfUse: "direct-care" };
    const own = settle(policy, { actor, subject: { owners: ["RX4"] }, at: AT });
    expect(own).toMatchObject({ effect: "permit", level: "sensitive", rule: "recording-organisation" });
    const stats = settle(policy, {
      actor: { ...actor, role: "analyst", purposeOfUse: "statistics" },
      subject: { owners: ["RX4"] },
      at: AT,
    });
    expect(stats).toMatchObject({ effect: "deny", rule: "statistics-aggregates-only" });
  });

  it("leaves to decide what depends on relationships or consent (another organisation's record)", () => {
    const policy = baselinePolicy();
    const actor: PolicyActor = {
      org: "LA201",
      orgType: "la-childrens-services",
      role: "practitioner",
      purposeOfUse: "child-in-need-s17",
    };
    expect(settle(policy, { actor, subject: { owners: ["RX4"] }, at: AT })).toBeUndefined();
  });
});
