// The notifications deriver over hand-made person index, household, case and Subscription records (storeView): a
// decision table of which events reach which LA, what the message carries (contact level only) and its idempotency key.
import { beforeEach, describe, expect, it } from "vitest";
import { storeView } from "../../src/derive/store-view.js";
import { notificationsDeriver } from "../../src/notify/deriver.js";
import type { NotificationPayload } from "../../src/notify/message.js";
import { FILTER_CRITERIA_EXTENSION, NOTIFICATION_OUTBOX_TOPIC } from "../../src/notify/topic.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { owned, put, storedSubscription } from "../support/notify-fixtures.js";

const SET = "https://think-family-gateway.example/fhir/CodeSystem/service-event-type";
const EPISODE_TYPE = "https://think-family-gateway.example/fhir/CodeSystem/episode-type";
const NHS = "9990000018";

const encounter = (id: string, code: string, subject = "Patient/a-cpa", start = "2026-11-20") =>
  owned("RX4", "TFG-AdultServiceEvent", {
    resourceType: "Encounter",
    id,
    status: "finished",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "IMP" },
    type: [{ coding: [{ system: SET, code }] }],
    subject: { reference: subject },
    episodeOfCare: [{ reference: "EpisodeOfCare/cpa-1" }],
    period: { start, end: start },
  });

const plan = (id: string, child: string, la: string, period: Record<string, string> = { start: "2026-01-01" }) =>
  owned(la, "TFG-ChildProtectionPlan", {
    resourceType: "CarePlan",
    id,
    status: period.end ? "completed" : "active",
    intent: "plan",
    category: [{ coding: [{ system: EPISODE_TYPE, code: "child-protection" }] }],
    subject: { reference: child },
    period,
  });

/** Adult: a CPA record and an NDTMS record of one person; child: an SSD record (LA 201) and a CPA household record. */
async function family(store: Store) {
  await put(store, [
    owned("RX4", "TFG-Patient", {
      resourceType: "Patient",
      id: "a-cpa",
      identifier: [{ system: "https://fhir.nhs.uk/Id/nhs-number", value: NHS }],
      name: [{ family: "Testadult", given: ["Alex"] }],
      birthDate: "1988-03-14",
      address: [{ postalCode: "ZZ99 3AA" }],
    }),
    owned("N0852", "TFG-Patient", {
      resourceType: "Patient",
      id: "a-ndtms",
      identifier: [{ system: "s", value: "C1" }],
    }),
    owned("201", "TFG-Patient", { resourceType: "Patient", id: "c-ssd", identifier: [{ system: "s", value: "CH1" }] }),
    owned("RX4", "TFG-Patient", { resourceType: "Patient", id: "c-cpa", identifier: [{ system: "s", value: "K1" }] }),
    {
      resourceType: "Person",
      id: "p-adult",
      link: [{ target: { reference: "Patient/a-cpa" } }, { target: { reference: "Patient/a-ndtms" } }],
    },
    {
      resourceType: "Person",
      id: "p-child",
      link: [{ target: { reference: "Patient/c-ssd" } }, { target: { reference: "Patient/c-cpa" } }],
    },
    owned("tfg-gateway", "TFG-Household", {
      resourceType: "Group",
      id: "h-1",
      type: "person",
      actual: true,
      member: [{ entity: { reference: "Patient/a-cpa" } }, { entity: { reference: "Patient/c-cpa" } }],
    }),
    owned("RX4", "TFG-CareCoordinator", {
      resourceType: "Practitioner",
      id: "cc-2",
      identifier: [{ system: "s", value: "CC2" }],
      name: [{ text: "Second Coordinator" }],
      telecom: [{ system: "phone", value: "0113 496 0000", use: "work" }],
    }),
    owned("RX4", "TFG-CareTeam", { resourceType: "CareTeam", id: "t-1", status: "active", name: "North CMHT" }),
    owned("RX4", "TFG-CPAEpisode", {
      resourceType: "EpisodeOfCare",
      id: "cpa-1",
      status: "active",
      type: [{ coding: [{ system: EPISODE_TYPE, code: "cpa" }] }],
      patient: { reference: "Patient/a-cpa" },
      managingOrganization: { identifier: { system: "https://fhir.nhs.uk/Id/ods-organization-code", value: "RX4" } },
      period: { start: "2025-01-01" },
      careManager: { reference: "Practitioner/cc-2" },
      team: [{ reference: "CareTeam/t-1" }],
    }),
    plan("cp-1", "Patient/c-ssd", "201"),
    storedSubscription("sub-201", "201", "https://la201.example/notify"),
    storedSubscription("sub-202", "202", "https://la202.example/notify"),
  ]);
}

let store: Store;
const derive = (touched: string[]) => notificationsDeriver.derive({ view: storeView(store), touched });
const payloads = async (touched: string[]) =>
  ((await derive(touched)).outbox ?? []).map((m) => m.payload as unknown as NotificationPayload);

beforeEach(async () => {
  store = await openSqliteStore(":memory:", loadMigrations());
  await family(store);
});

describe("notifications deriver", () => {
  it("queues one message for a discharge, to the LA whose open CP plan is on a child of the adult's household", async () => {
    await put(store, [encounter("e-dis", "discharge")]);
    const out = await derive(["Encounter/e-dis", "Patient/a-cpa"]);
    expect(out.resources).toEqual([]);
    expect(out.outbox).toHaveLength(1);
    const [m] = out.outbox ?? [];
    expect(m?.topic).toBe(NOTIFICATION_OUTBOX_TOPIC);
    expect(m?.payload).toEqual({
      subscription: "Subscription/sub-201",
      focus: "Encounter/e-dis",
      contact: {
        event: "discharge",
        date: "2026-11-20",
        adult: "Patient/a-cpa",
        service: { system: "https://fhir.nhs.uk/Id/ods-organization-code", value: "RX4" },
        leadProfessional: {
          name: "Second Coordinator",
          telecom: [{ system: "phone", value: "0113 496 0000", use: "work" }],
        },
        team: "North CMHT",
        children: ["Patient/c-ssd"],
        cases: ["CarePlan/cp-1"],
      },
    });
    // Contact level: nothing identifying the adult (NHS number, name, date of birth, postcode).
    const text = JSON.stringify(m);
    for (const v of [NHS, "Testadult", "Alex", "1988-03-14", "ZZ99"]) expect(text).not.toContain(v);
  });

  it.each([
    ["admission", 1],
    ["planned-discharge", 1],
    ["discharge-meeting", 1],
    ["did-not-attend", 1],
    ["cpa-review", 0],
  ])("an Encounter of type %s queues %i message(s)", async (code, n) => {
    await put(store, [encounter(`e-${code}`, code)]);
    expect(await payloads([`Encounter/e-${code}`])).toHaveLength(n);
  });

  it("finds the household through the person index: a treatment episode closed on the adult's other record is leaving treatment", async () => {
    const episode = (status: string, period: Record<string, string>) =>
      owned("N0852", "TFG-TreatmentEpisode", {
        resourceType: "EpisodeOfCare",
        id: "tx-1",
        status,
        type: [{ coding: [{ system: EPISODE_TYPE, code: "drug-alcohol-treatment" }] }],
        patient: { reference: "Patient/a-ndtms" },
        managingOrganization: {
          identifier: { system: "https://think-family-gateway.example/fhir/Id/ndtms-agency", value: "N0852" },
        },
        period,
      });
    await put(store, [episode("active", { start: "2026-01-10" })]);
    expect(await payloads(["EpisodeOfCare/tx-1"])).toEqual([]);
    await put(store, [episode("finished", { start: "2026-01-10", end: "2026-11-02" })]);
    const [p] = await payloads(["EpisodeOfCare/tx-1"]);
    expect(p?.contact).toMatchObject({
      event: "leaving-treatment",
      date: "2026-11-02",
      adult: "Patient/a-ndtms",
      service: { value: "N0852" },
      children: ["Patient/c-ssd"],
    });
  });

  it("raises nothing when the plan ended before the event, and again for an open CIN episode of the same LA", async () => {
    await put(store, [
      plan("cp-1", "Patient/c-ssd", "201", { start: "2026-01-01", end: "2026-06-30" }),
      encounter("e-dis", "discharge"),
    ]);
    expect(await payloads(["Encounter/e-dis"])).toEqual([]);
    await put(store, [
      owned("201", "TFG-ChildrensSocialCareEpisode", {
        resourceType: "EpisodeOfCare",
        id: "cin-1",
        status: "active",
        type: [{ coding: [{ system: EPISODE_TYPE, code: "child-in-need" }] }],
        patient: { reference: "Patient/c-ssd" },
        period: { start: "2026-07-01" },
      }),
    ]);
    expect((await payloads(["Encounter/e-dis"])).map((p) => p.contact.cases)).toEqual([["EpisodeOfCare/cin-1"]]);
  });

  it("a plan that ends after the event date still counts (the event is judged on its own date, not today)", async () => {
    await put(store, [
      plan("cp-1", "Patient/c-ssd", "201", { start: "2026-01-01", end: "2026-12-31" }),
      encounter("e-dis", "discharge"),
    ]);
    expect(await payloads(["Encounter/e-dis"])).toHaveLength(1);
  });

  it("raises nothing once the child or the adult has left the household (inactive member)", async () => {
    await put(store, [encounter("e-dis", "discharge")]);
    const group = (await store.read("Group", "h-1"))?.resource as Record<string, unknown>;
    await put(store, [
      {
        ...group,
        resourceType: "Group",
        id: "h-1",
        member: [
          { entity: { reference: "Patient/a-cpa" } },
          { entity: { reference: "Patient/c-cpa" }, inactive: true },
        ],
      },
    ]);
    expect(await payloads(["Encounter/e-dis"])).toEqual([]);
    await put(store, [
      {
        ...group,
        resourceType: "Group",
        id: "h-1",
        member: [
          { entity: { reference: "Patient/a-cpa" }, inactive: true },
          { entity: { reference: "Patient/c-cpa" } },
        ],
      },
    ]);
    expect(await payloads(["Encounter/e-dis"])).toEqual([]);
  });

  it("sends to every active Subscription of that LA that selects the event, and to no other LA", async () => {
    await put(store, [
      encounter("e-dis", "discharge"),
      storedSubscription("sub-201-off", "201", "https://la201.example/off", { status: "off" }),
      storedSubscription("sub-201-adm", "201", "https://la201.example/adm", {
        _criteria: { extension: [{ url: FILTER_CRITERIA_EXTENSION, valueString: "event=admission" }] },
      }),
      storedSubscription("sub-201-two", "201", "https://la201.example/two", {
        _criteria: { extension: [{ url: FILTER_CRITERIA_EXTENSION, valueString: "event=discharge,admission" }] },
      }),
      plan("cp-other", "Patient/c-ssd", "203"),
    ]);
    expect((await payloads(["Encounter/e-dis"])).map((p) => p.subscription).sort()).toEqual([
      "Subscription/sub-201",
      "Subscription/sub-201-two",
    ]);
  });

  it("raises nothing without a household, or for a child whose open plan no one subscribed to", async () => {
    await put(store, [encounter("e-alone", "discharge", "Patient/c-ssd")]);
    expect(await payloads(["Encounter/e-alone"])).toEqual([]);
    await put(store, [plan("cp-1", "Patient/c-ssd", "209"), encounter("e-dis", "discharge")]);
    expect(await payloads(["Encounter/e-dis"])).toEqual([]);
  });

  it("keys each message by Subscription, event and content: the same content gives the same id, a change a new one", async () => {
    await put(store, [encounter("e-dis", "discharge")]);
    const first = (await derive(["Encounter/e-dis"])).outbox?.map((m) => m.id);
    expect((await derive(["Encounter/e-dis"])).outbox?.map((m) => m.id)).toEqual(first);
    await put(store, [encounter("e-dis", "discharge")], "2027-05-05T00:00:00.000Z"); // a new version, same content
    expect((await derive(["Encounter/e-dis"])).outbox?.map((m) => m.id)).toEqual(first);
    await put(store, [encounter("e-dis", "discharge", "Patient/a-cpa", "2026-11-21")]);
    const moved = (await derive(["Encounter/e-dis"])).outbox?.map((m) => m.id);
    expect(moved).toHaveLength(1);
    expect(moved).not.toEqual(first);
    expect(first?.[0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("an admission record gaining its discharge date is not a new admission: the same id", async () => {
    const open = { ...encounter("e-adm", "admission"), period: { start: "2026-09-01" } };
    await put(store, [open]);
    const before = (await derive(["Encounter/e-adm"])).outbox?.map((m) => m.id);
    await put(store, [{ ...open, period: { start: "2026-09-01", end: "2026-11-20" } }]);
    expect((await derive(["Encounter/e-adm"])).outbox?.map((m) => m.id)).toEqual(before);
  });

  it("ignores what it does not notify about: untouched events, other types, deleted records", async () => {
    await put(store, [encounter("e-dis", "discharge")]);
    expect(await payloads([])).toEqual([]);
    expect(await payloads(["Patient/a-cpa", "Group/h-1", "CarePlan/cp-1", "Encounter/not-there"])).toEqual([]);
  });
});
