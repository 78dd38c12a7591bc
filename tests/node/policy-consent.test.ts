// Consent facts from R4 Consent resources (issue 10 scope 3): which Consents count, what an unreadable provision
// means (objections widen, permissions narrow), exceptions, periods, and NDTMS CONSENT = N.
import { describe, expect, it } from "vitest";
import {
  consentFactsFrom,
  consentState,
  NDTMS_CONSENT_URL,
  ndtmsReturnScope,
  ORG_TYPE_IDENTIFIER_SYSTEM,
  PURPOSE_OF_USE_SYSTEM,
} from "../../src/policy/consent.js";
import type { PolicyActor } from "../../src/policy/facts.js";

const P = "Patient/p1";
const LA: PolicyActor = {
  org: "LA201",
  orgType: "la-childrens-services",
  role: "practitioner",
  purposeOfUse: "child-in-need-s17",
};
const AT = "2026-06-15T10:00:00Z";

const consent = (provision: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  resourceType: "Consent",
  id: "c1",
  status: "active",
  scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
  category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
  patient: { reference: P },
  provision,
  ...extra,
});
const type = (t: string) => ({ reference: { identifier: { system: ORG_TYPE_IDENTIFIER_SYSTEM, value: t } } });
const org = (code: string) => ({
  reference: { identifier: { system: "https://fhir.nhs.uk/Id/ods-organization-code", value: code } },
});
const purpose = (p: string) => ({ system: PURPOSE_OF_USE_SYSTEM, code: p });

const stateOf = (consents: unknown[], actor: PolicyActor = LA, at = AT) =>
  consentState(consentFactsFrom(consents, [P]), actor, at).state;

describe("consent facts", () => {
  it.each([
    [
      "an active permission for the caller's type",
      [consent({ type: "permit", actor: [type("la-childrens-services")] })],
      "permit",
    ],
    [
      "a permission for the caller's organisation by code, any case",
      [consent({ type: "permit", actor: [org("la201")] })],
      "permit",
    ],
    ["a permission for another organisation", [consent({ type: "permit", actor: [org("LA999")] })], "none"],
    [
      "a permission for the caller's purpose",
      [consent({ type: "permit", purpose: [purpose("child-in-need-s17")] })],
      "permit",
    ],
    ["a permission for another purpose", [consent({ type: "permit", purpose: [purpose("direct-care")] })], "none"],
    [
      "a permission with an unreadable purpose only",
      [consent({ type: "permit", purpose: [{ system: "urn:x", code: "y" }] })],
      "none",
    ],
    [
      "a permission with an unreadable actor only",
      [consent({ type: "permit", actor: [{ reference: { display: "Social care" } }] })],
      "none",
    ],
    ["a permission with an unreadable period", [consent({ type: "permit", period: { start: "soon" } })], "none"],
    [
      "an objection naming an unreadable actor",
      [consent({ type: "deny", actor: [{ reference: { display: "x" } }, type("national-body")] })],
      "deny",
    ],
    [
      "an objection naming an unreadable purpose",
      [consent({ type: "deny", purpose: [{ system: "urn:x", code: "y" }] })],
      "deny",
    ],
    ["an objection with an unreadable period", [consent({ type: "deny", period: { end: "later" } })], "deny"],
    ["an objection to another type", [consent({ type: "deny", actor: [type("mh-trust")] })], "none"],
    ["an inactive objection", [consent({ type: "deny" }, { status: "inactive" })], "none"],
    ["a proposed permission", [consent({ type: "permit" }, { status: "proposed" })], "none"],
    [
      "an objection about another patient",
      [consent({ type: "deny" }, { patient: { reference: "Patient/p2" } })],
      "none",
    ],
    [
      "a treatment consent (other scope)",
      [
        consent(
          { type: "deny" },
          { scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "treatment" }] } },
        ),
      ],
      "none",
    ],
    ["a provision without a type", [consent({ actor: [type("la-childrens-services")] })], "none"],
    [
      "a permission and an objection",
      [consent({ type: "permit" }), { ...consent({ type: "deny" }), id: "c2" }],
      "deny",
    ],
    [
      "an objection with a permitting exception for the caller",
      [consent({ type: "deny", provision: [{ type: "permit", actor: [type("la-childrens-services")] }] })],
      "permit",
    ],
    [
      "an objection with a permitting exception for others",
      [consent({ type: "deny", provision: [{ type: "permit", actor: [type("mh-trust")] }] })],
      "deny",
    ],
    [
      "a permission with an objecting exception for the purpose",
      [consent({ type: "permit", provision: [{ type: "deny", purpose: [purpose("child-in-need-s17")] }] })],
      "deny",
    ],
    [
      "an exception without a type is the opposite of its parent",
      [consent({ type: "permit", provision: [{ actor: [type("la-childrens-services")] }] })],
      "deny",
    ],
    ["a permission that ended the day before", [consent({ type: "permit", period: { end: "2026-06-14" } })], "none"],
    [
      "a permission that ends on the day (a date covers its day)",
      [consent({ type: "permit", period: { end: "2026-06-15" } })],
      "permit",
    ],
    ["a permission from the next day", [consent({ type: "permit", period: { start: "2026-06-16" } })], "none"],
    [
      "a permission from an instant earlier",
      [consent({ type: "permit", period: { start: "2026-06-15T09:59:59Z" } })],
      "permit",
    ],
    ["a permission for the year", [consent({ type: "permit", period: { start: "2026", end: "2026" } })], "permit"],
    ["not a Consent", [{ resourceType: "Patient", id: "c1" }], "none"],
    ["garbage", [null, 3, "x", []], "none"],
  ])("%s → %s", (_name, consents, expected) => {
    expect(stateOf(consents as unknown[])).toBe(expected);
  });

  it("names the Consents that decided", () => {
    const facts = consentFactsFrom([consent({ type: "deny" }), { ...consent({ type: "permit" }), id: "c2" }], [P]);
    expect(consentState(facts, LA, AT)).toEqual({ state: "deny", sources: ["Consent/c1"] });
  });

  it("counts every Patient record of the person", () => {
    const facts = consentFactsFrom(
      [consent({ type: "deny" }, { patient: { reference: "Patient/p2" } })],
      [P, "Patient/p2"],
    );
    expect(consentState(facts, LA, AT).state).toBe("deny");
  });

  it("NDTMS CONSENT = N keeps the client out of the national return except agency, client id and consent", () => {
    const patient = (v: boolean) => ({
      resourceType: "Patient",
      extension: [{ url: NDTMS_CONSENT_URL, valueBoolean: v }],
    });
    expect(ndtmsReturnScope(consentFactsFrom([], [P], [patient(false)]))).toBe("agency-client-consent-only");
    expect(ndtmsReturnScope(consentFactsFrom([], [P], [patient(true)]))).toBe("full");
    expect(ndtmsReturnScope(consentFactsFrom([], [P], [patient(true), patient(false)]))).toBe(
      "agency-client-consent-only",
    );
    expect(ndtmsReturnScope(consentFactsFrom([], [P], []))).toBe("full");
  });
});

describe("consent facts from anything", () => {
  it("never throw, whatever the Consent holds, and read a bad one as an objection or as nothing", async () => {
    const fc = (await import("fast-check")).default;
    const provision = fc.dictionary(
      fc.constantFrom("type", "actor", "purpose", "period", "provision", "x"),
      fc.oneof(fc.anything(), fc.constantFrom("permit", "deny")),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.anything(),
            provision.map((p) => consent(p)),
          ),
        ),
        fc.anything(),
        (consents, at) => {
          const facts = consentFactsFrom(consents, [P], [at]);
          const s = consentState(facts, LA, typeof at === "string" ? at : AT).state;
          expect(["permit", "deny", "none"]).toContain(s);
        },
      ),
      { numRuns: 500 },
    );
  });
});
