// Relationship facts (issue 10 scope 4) from a real SQLite store through the derivation view: caseload by open
// episode or active plan of the caller's organisation, households with an open child, children of caseload patients.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withOwner } from "../../src/auth/ownership.js";
import type { DerivedResource } from "../../src/derive/port.js";
import { storeView } from "../../src/derive/store-view.js";
import type { PolicyActor } from "../../src/policy/facts.js";
import { ViewRelationshipResolver } from "../../src/policy/relationships-view.js";
import type { Store } from "../../src/store/port.js";
import { household, openStore, put } from "./flags-fixtures.js";

const AT = "2026-06-15T10:00:00Z";
const patient = (id: string, birthDate?: string): DerivedResource => ({
  resourceType: "Patient",
  id,
  ...(birthDate ? { birthDate } : {}),
});
const episode = (id: string, subject: string, owner: string, status = "active", period: Record<string, string> = {}) =>
  withOwner(
    {
      resourceType: "EpisodeOfCare",
      id,
      status,
      patient: { reference: `Patient/${subject}` },
      period,
    } as DerivedResource,
    owner,
  );
const plan = (id: string, subject: string, owner: string, status = "active") =>
  withOwner(
    {
      resourceType: "CarePlan",
      id,
      status,
      intent: "plan",
      subject: { reference: `Patient/${subject}` },
    } as DerivedResource,
    owner,
  );
const actor = (org: string, orgType: PolicyActor["orgType"]): PolicyActor => ({
  org,
  orgType,
  role: "practitioner",
  purposeOfUse: "direct-care",
});
const LA = actor("201", "la-childrens-services");
const MH = actor("RX4", "mh-trust");

let store: Store;
beforeEach(async () => {
  store = await openStore();
  for (const r of [
    patient("mum", "1990-01-01"),
    patient("kid", "2016-01-01"),
    patient("teen", "2008-06-16"),
    patient("noage"),
    household("g1", [{ patient: "mum" }, { patient: "kid" }, { patient: "teen" }, { patient: "noage" }]),
  ])
    await put(store, r);
});
afterEach(async () => store.close());

const resolve = (a: PolicyActor, subject: string) =>
  new ViewRelationshipResolver(storeView(store)).resolve(a, `Patient/${subject}`, AT);

describe("relationship facts", () => {
  it("nothing open: no relationship, kinds from birth dates", async () => {
    expect(await resolve(LA, "mum")).toEqual({
      kind: "adult",
      facts: { caseload: false, householdOfOpenChild: false, childOfCaseloadPatient: false, evidence: [] },
    });
    expect((await resolve(LA, "teen")).kind).toBe("child");
    expect((await resolve(LA, "noage")).kind).toBe("unknown");
  });

  it("a child protection plan of the caller's LA makes the child's household adults 'household of open child'", async () => {
    await put(store, plan("cp1", "kid", "201"));
    const mum = await resolve(LA, "mum");
    expect(mum.facts).toMatchObject({ householdOfOpenChild: true, caseload: false });
    expect(mum.facts.evidence).toEqual(["CarePlan/cp1", "Group/g1"]);
    expect((await resolve(LA, "kid")).facts.caseload).toBe(true);
    expect((await resolve(actor("202", "la-childrens-services"), "mum")).facts.householdOfOpenChild).toBe(false);
  });

  it("an ended plan or episode, or one of another organisation, opens nothing", async () => {
    await put(store, plan("cp1", "kid", "201", "completed"));
    await put(store, episode("e1", "kid", "201", "active", { start: "2025-01-01", end: "2026-06-14" }));
    await put(store, episode("e2", "kid", "202"));
    expect((await resolve(LA, "mum")).facts.householdOfOpenChild).toBe(false);
  });

  it("an episode ending today is still open; one starting tomorrow is not yet", async () => {
    await put(store, episode("e1", "kid", "201", "active", { start: "2025-01-01", end: "2026-06-15" }));
    expect((await resolve(LA, "mum")).facts.householdOfOpenChild).toBe(true);
    await put(store, episode("e1", "kid", "201", "planned", { start: "2026-06-16" }));
    expect((await resolve(LA, "mum")).facts.householdOfOpenChild).toBe(false);
  });

  it("an adult on a trust's caseload: the household's children are children of a caseload patient, the adult is caseload", async () => {
    await put(store, episode("cpa1", "mum", "RX4"));
    expect((await resolve(MH, "kid")).facts).toMatchObject({ childOfCaseloadPatient: true, caseload: false });
    expect((await resolve(MH, "teen")).facts.childOfCaseloadPatient).toBe(true);
    expect((await resolve(MH, "mum")).facts).toMatchObject({ caseload: true, childOfCaseloadPatient: false });
    await put(store, episode("cpa1", "mum", "RX4", "finished", { end: "2026-05-01" }));
    expect((await resolve(MH, "kid")).facts.childOfCaseloadPatient).toBe(false);
  });

  it("an open child of unknown age does not count as a child", async () => {
    await put(store, episode("e1", "noage", "201"));
    expect((await resolve(LA, "mum")).facts.householdOfOpenChild).toBe(false);
  });
});
