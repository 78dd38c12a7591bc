// Issue 10 "must show", engine side: relationships resolved from a real store (SQLite, via the derivation view),
// consent, decision and redaction together. A children's social worker with safeguarding-s47 for a child open to
// their LA gets the household adult's care coordinator contact and summary; with child-in-need-s17 and no
// consent, existence only; a worker from another LA, nothing. Adult services see the children of a caseload patient.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ownersOf, withOwner } from "../../src/auth/ownership.js";
import type { DerivedResource } from "../../src/derive/port.js";
import { storeView } from "../../src/derive/store-view.js";
import { baselinePolicy } from "../../src/policy/baseline.js";
import { consentFactsFrom } from "../../src/policy/consent.js";
import { decide } from "../../src/policy/decide.js";
import type { PolicyActor } from "../../src/policy/facts.js";
import { redact } from "../../src/policy/redact.js";
import { ViewRelationshipResolver } from "../../src/policy/relationships-view.js";
import type { Store } from "../../src/store/port.js";
import { household, openStore, person, put } from "./flags-fixtures.js";

const AT = "2026-06-15T10:00:00Z";
const TFG = "https://think-family-gateway.example/fhir";

const patient = (id: string, birthDate: string): DerivedResource => ({
  resourceType: "Patient",
  id,
  birthDate,
  name: [{ family: "Testperson" }],
});

const cpaEpisode = withOwner(
  {
    resourceType: "EpisodeOfCare",
    id: "ep-cpa",
    status: "active",
    patient: { reference: "Patient/adult" },
    managingOrganization: { identifier: { system: "https://fhir.nhs.uk/Id/ods-organization-code", value: "RX4" } },
    type: [{ coding: [{ system: `${TFG}/CodeSystem/episode-type`, code: "cpa" }] }],
    period: { start: "2025-01-10" },
    careManager: { reference: "Practitioner/cc1", display: "Care coordinator (test)" },
    team: [{ reference: "CareTeam/t1" }],
    extension: [
      { url: `${TFG}/StructureDefinition/treatment-modality`, valueCodeableConcept: { text: "modality" } },
      { url: `${TFG}/StructureDefinition/problem-substance`, valueCodeableConcept: { text: "substance" } },
    ],
    text: { status: "generated", div: "<div>free text</div>" },
  } as DerivedResource,
  "RX4",
);

const cinEpisode = (status: string) =>
  withOwner(
    {
      resourceType: "EpisodeOfCare",
      id: "ep-cin",
      status,
      patient: { reference: "Patient/child" },
      managingOrganization: { identifier: { system: `${TFG}/Id/la-code`, value: "201" } },
      period: { start: "2026-02-01", ...(status === "finished" ? { end: "2026-03-01" } : {}) },
      careManager: { display: "Social worker (test)" },
    } as DerivedResource,
    "201",
  );

const la = (org: string, purposeOfUse: PolicyActor["purposeOfUse"]): PolicyActor => ({
  org,
  orgType: "la-childrens-services",
  role: "practitioner",
  purposeOfUse,
});

let store: Store;

beforeEach(async () => {
  store = await openStore();
  for (const r of [
    patient("adult", "1985-04-02"),
    patient("adult-ndtms", "1985-04-02"),
    patient("child", "2015-09-20"),
    cpaEpisode,
    cinEpisode("active"),
    person("person-adult", ["adult", "adult-ndtms"]),
    household("household-1", [
      { patient: "adult", start: "2020-01-01" },
      { patient: "child", start: "2015-09-20" },
    ]),
  ])
    await put(store, r);
});
afterEach(async () => {
  await store.close();
});

/** The decision and what the caller would see of the CPA episode. */
async function ask(actor: PolicyActor, subject = "Patient/adult", consents: unknown[] = [], reason?: string) {
  const resolved = await new ViewRelationshipResolver(storeView(store)).resolve(actor, subject, AT);
  const d = decide(baselinePolicy(), {
    actor,
    subject: { kind: resolved.kind, owners: ownersOf(cpaEpisode), resourceType: "EpisodeOfCare" },
    relationships: resolved.facts,
    consents: consentFactsFrom(consents, [subject]),
    ...(reason ? { reason } : {}),
    at: AT,
  });
  return { resolved, d, shown: redact(cpaEpisode, d.level) };
}

describe("issue 10 must-show, through the engine", () => {
  it("s47 for a child open to the LA: the household adult's care coordinator contact and summary, not sensitive detail", async () => {
    const { resolved, d, shown } = await ask(la("201", "safeguarding-s47"));
    expect(resolved.kind).toBe("adult");
    expect(resolved.facts).toMatchObject({ householdOfOpenChild: true, caseload: false });
    expect(resolved.facts.evidence).toEqual(["EpisodeOfCare/ep-cin", "Group/household-1"]);
    expect(d).toMatchObject({ effect: "permit", level: "summary", rule: "s47-household-adult" });
    expect(shown?.careManager).toEqual(cpaEpisode.careManager);
    expect(shown?.period).toEqual({ start: "2025-01-10" });
    expect(((shown?.extension ?? []) as { url: string }[]).map((e) => e.url)).toEqual([
      `${TFG}/StructureDefinition/treatment-modality`,
    ]);
    expect(shown).not.toHaveProperty("text");
  });

  it("s17 without consent: existence only (which service), with the note that consent is needed", async () => {
    const { d, shown } = await ask(la("201", "child-in-need-s17"));
    expect(d).toMatchObject({ effect: "permit", level: "existence", rule: "s17-without-consent" });
    expect(Object.keys(shown ?? {}).sort()).toEqual(["id", "managingOrganization", "meta", "patient", "resourceType"]);
  });

  it("s17 with the adult's consent to share with children's services: contact", async () => {
    const consent = {
      resourceType: "Consent",
      id: "c1",
      status: "active",
      scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
      patient: { reference: "Patient/adult" },
      provision: {
        type: "permit",
        actor: [
          { reference: { identifier: { system: `${TFG}/Id/organisation-type`, value: "la-childrens-services" } } },
        ],
      },
    };
    const { d, shown } = await ask(la("201", "child-in-need-s17"), "Patient/adult", [consent]);
    expect(d).toMatchObject({ level: "contact", rule: "s17-with-consent" });
    expect(shown).toHaveProperty("careManager");
    expect(shown).toHaveProperty("status", "active");
    expect(shown).not.toHaveProperty("period");
  });

  it("a worker from another LA gets nothing", async () => {
    const { resolved, d, shown } = await ask(la("202", "safeguarding-s47"));
    expect(resolved.facts).toMatchObject({
      householdOfOpenChild: false,
      caseload: false,
      childOfCaseloadPatient: false,
    });
    expect(d).toMatchObject({ effect: "deny", level: "none", rule: "default-deny" });
    expect(shown).toBeUndefined();
  });

  it("the person index counts: the adult's other record is in the same household through its Person", async () => {
    const { d } = await ask(la("201", "safeguarding-s47"), "Patient/adult-ndtms");
    expect(d.rule).toBe("s47-household-adult");
  });

  it("a closed child episode is no relationship", async () => {
    await put(store, cinEpisode("finished"));
    const { d } = await ask(la("201", "safeguarding-s47"));
    expect(d.rule).toBe("default-deny");
  });

  it("a member who left the household is no relationship", async () => {
    await put(
      store,
      household("household-1", [{ patient: "adult", start: "2020-01-01", end: "2026-01-01" }, { patient: "child" }]),
    );
    const { d } = await ask(la("201", "safeguarding-s47"));
    expect(d.rule).toBe("default-deny");
  });

  it("adult services, direct care: the child of a caseload patient at summary; the adult service's own record in full", async () => {
    const mh: PolicyActor = { org: "RX4", orgType: "mh-trust", role: "practitioner", purposeOfUse: "direct-care" };
    const resolver = new ViewRelationshipResolver(storeView(store));
    const child = await resolver.resolve(mh, "Patient/child", AT);
    expect(child).toMatchObject({ kind: "child", facts: { childOfCaseloadPatient: true, caseload: false } });
    const d = decide(baselinePolicy(), {
      actor: mh,
      subject: { kind: child.kind, owners: ["201"] },
      relationships: child.facts,
      consents: consentFactsFrom([], ["Patient/child"]),
      at: AT,
    });
    expect(d).toMatchObject({ level: "summary", rule: "adult-services-household-children" });
    const own = await ask(mh);
    expect(own.resolved.facts.caseload).toBe(true);
    expect(own.d).toMatchObject({ level: "sensitive", rule: "recording-organisation" });
    expect(own.shown).toEqual(cpaEpisode);
  });
});
