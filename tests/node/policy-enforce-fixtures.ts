// A small family over a real SQLite store for the enforcement tests: an adult on an RX4 caseload living with a child
// open to local authority 201, a stranger, their records, and what each test caller may see of each (written out by hand
// from the baseline protocol, docs/POLICY.md, so the tests check enforcement against the protocol, not against itself).
import { withOwner } from "../../src/auth/ownership.js";
import type { DerivedResource } from "../../src/derive/port.js";
import { type AuditSink, MemoryAuditSink } from "../../src/policy/audit.js";
import type { Level } from "../../src/policy/levels.js";
import type { Store } from "../../src/store/port.js";
import { createTestApp, type TestApp } from "../support/test-app.js";
import { household, nhs, openStore, put, remove } from "./flags-fixtures.js";

/** The instant the app decides at (fixtures are written at 2031-01-01). */
export const NOW = new Date("2031-06-15T10:00:00Z");
const TFG = "https://think-family-gateway.example/fhir";
const NHS = "https://fhir.nhs.uk/Id/nhs-number";

const owned = (owner: string, r: Record<string, unknown>) => withOwner(r as DerivedResource, owner);

const patient = (id: string, owner: string, birthDate: string, nhs: string) =>
  owned(owner, {
    resourceType: "Patient",
    id,
    identifier: [{ system: NHS, value: nhs }],
    name: [{ family: "Testperson", given: [id] }],
    birthDate,
    address: [{ postalCode: "ZZ99 3AB" }],
    telecom: [{ system: "phone", value: "01632 960000" }],
  });

const episode = (id: string, owner: string, subject: string, extra: Record<string, unknown> = {}) =>
  owned(owner, {
    resourceType: "EpisodeOfCare",
    id,
    status: "active",
    patient: { reference: `Patient/${subject}` },
    managingOrganization: { identifier: { system: `${TFG}/Id/organisation`, value: owner } },
    period: { start: "2026-02-01" },
    careManager: { reference: "Practitioner/cc1", display: "Lead professional (test)" },
    text: { status: "generated", div: "<div>free text about the episode</div>" },
    ...extra,
  });

const observation = (id: string, subject: string, extra: Record<string, unknown> = {}) =>
  owned("RX4", {
    resourceType: "Observation",
    id,
    status: "final",
    code: { coding: [{ system: `${TFG}/CodeSystem/observation`, code: "substance-use" }] },
    subject: { reference: `Patient/${subject}` },
    valueCodeableConcept: { text: "substance (test)" },
    note: [{ text: "a note" }],
    ...extra,
  });

/** Every record of the fixture, by key: the current version of each. */
export const RECORDS: Record<string, DerivedResource> = {
  "Patient/adult": patient("adult", "RX4", "1985-04-02", nhs(1)),
  "Patient/child": patient("child", "201", "2018-09-20", nhs(2)),
  "Patient/stranger": patient("stranger", "RX4", "1970-01-01", nhs(3)),
  "EpisodeOfCare/ep-cpa": episode("ep-cpa", "RX4", "adult", {
    period: { start: "2025-01-10" },
    extension: [
      { url: `${TFG}/StructureDefinition/treatment-modality`, valueCodeableConcept: { text: "modality" } },
      { url: `${TFG}/StructureDefinition/problem-substance`, valueCodeableConcept: { text: "substance" } },
    ],
  }),
  "EpisodeOfCare/ep-cin": episode("ep-cin", "201", "child"),
  "EpisodeOfCare/ep-stranger": episode("ep-stranger", "RX4", "stranger"),
  "Observation/obs-sub": observation("obs-sub", "adult"),
  "Observation/obs-mod": observation("obs-mod", "adult", {
    modifierExtension: [{ url: `${TFG}/StructureDefinition/test-modifier`, valueBoolean: true }],
  }),
  "Practitioner/cc1": owned("RX4", {
    resourceType: "Practitioner",
    id: "cc1",
    name: [{ family: "Coordinator" }],
    telecom: [{ system: "phone", value: "01632 960001" }],
  }),
  "Group/household-1": household("household-1", [
    { patient: "adult", start: "2020-01-01" },
    { patient: "child", start: "2018-09-20" },
  ]),
};

/** A record deleted at version 2 (version 1 about the adult, owned by RX4). */
export const DELETED = "Observation/obs-del";

/** The test callers: token claims, and the reason each states (if any). */
export const CALLERS = {
  rx4: { claims: { org: "RX4", org_type: "mh-trust", role: "practitioner", purpose_of_use: "direct-care" } },
  la201s47: {
    claims: { org: "201", org_type: "la-childrens-services", role: "practitioner", purpose_of_use: "safeguarding-s47" },
  },
  la201s47reason: {
    claims: { org: "201", org_type: "la-childrens-services", role: "practitioner", purpose_of_use: "safeguarding-s47" },
    reason: "Strategy discussion 12 June: risk to the child from the adult's drug use",
  },
  la202s47: {
    claims: { org: "202", org_type: "la-childrens-services", role: "practitioner", purpose_of_use: "safeguarding-s47" },
  },
  la201s17: {
    claims: {
      org: "201",
      org_type: "la-childrens-services",
      role: "practitioner",
      purpose_of_use: "child-in-need-s17",
    },
  },
  national: { claims: { org: "X26", org_type: "national-body", role: "analyst", purpose_of_use: "statistics" } },
} as const;

/** A test caller's name. */
export type Caller = keyof typeof CALLERS;

const S = "sensitive" as const;
/**
 * What each caller may see of each record (absent: `none`). By the baseline: RX4 owns the adult's, the stranger's and
 * the Practitioner's records (rule 2), and sees the child of its caseload patient at summary (rule 10); 201 owns the
 * child's (rule 2) and, for s47, sees the household adult at summary (rule 7) or sensitive with a reason (rule 6),
 * for s17 without consent at existence (rule 9); 202 and a national analyst see nothing. The household Group is
 * about the child too, whom no rule shows to a caller that did not record the Group (it is derived, unowned):
 * withheld from everyone.
 */
export const EXPECTED: Record<Caller, Record<string, Level>> = {
  rx4: {
    "Patient/adult": S,
    "Patient/child": "summary",
    "Patient/stranger": S,
    "EpisodeOfCare/ep-cpa": S,
    "EpisodeOfCare/ep-cin": "summary",
    "EpisodeOfCare/ep-stranger": S,
    "Observation/obs-sub": S,
    "Observation/obs-mod": S,
    "Observation/obs-del": S,
    "Practitioner/cc1": S,
  },
  la201s47: {
    "Patient/adult": "summary",
    "Patient/child": S,
    "EpisodeOfCare/ep-cpa": "summary",
    "EpisodeOfCare/ep-cin": S,
    "Observation/obs-sub": "summary",
    "Observation/obs-mod": "summary",
    "Observation/obs-del": "summary",
  },
  la201s47reason: {
    "Patient/adult": S,
    "Patient/child": S,
    "EpisodeOfCare/ep-cpa": S,
    "EpisodeOfCare/ep-cin": S,
    "Observation/obs-sub": S,
    "Observation/obs-mod": S,
    "Observation/obs-del": S,
  },
  la202s47: {},
  la201s17: {
    "Patient/adult": "existence",
    "Patient/child": S,
    "EpisodeOfCare/ep-cpa": "existence",
    "EpisodeOfCare/ep-cin": S,
    "Observation/obs-sub": "existence",
    "Observation/obs-mod": "existence",
    "Observation/obs-del": "existence",
  },
  national: {},
};

/** True when a record is withheld even at a permitted level: a modifier extension shows only at `sensitive`. */
export const withheldAt = (key: string, level: Level) => key === "Observation/obs-mod" && level !== "sensitive";

/** The fixture's app: its store, the audit entries it records, and a request helper per caller. */
export interface EnforceApp<A extends AuditSink = MemoryAuditSink> {
  t: TestApp;
  store: Store;
  audit: A;
  as(caller: Caller, path: string, init?: RequestInit): Promise<Response>;
}

/** Builds the store and the app (audit in memory, clock at {@link NOW}). */
export async function enforceApp(): Promise<EnforceApp>;
export async function enforceApp<A extends AuditSink>(audit: A): Promise<EnforceApp<A>>;
export async function enforceApp(audit: AuditSink = new MemoryAuditSink()): Promise<EnforceApp<AuditSink>> {
  const store = await openStore();
  const adultV1 = { ...RECORDS["Patient/adult"], gender: "female" } as DerivedResource;
  await put(store, adultV1);
  for (const r of Object.values(RECORDS)) await put(store, r);
  await put(store, observation("obs-del", "adult"));
  await remove(store, DELETED);
  const t = await createTestApp(store, {}, { clock: () => NOW, audit });
  const tokens = new Map<Caller, string>();
  for (const [name, c] of Object.entries(CALLERS))
    tokens.set(name as Caller, await t.issuer.sign({ sub: `user-${name}`, ...c.claims }));
  return {
    t,
    store,
    audit,
    as(caller, path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("Authorization", `Bearer ${tokens.get(caller)}`);
      const reason = (CALLERS[caller] as { reason?: string }).reason;
      if (reason) headers.set("X-Access-Reason", reason);
      return t.fhir(path, { ...init, headers });
    },
  };
}
