// Hand-built resources for the report tests, in the shapes ingest and the derivers write (docs/PROFILES.md).
import { withOwner } from "../../src/auth/ownership.js";
import { codeSystemUrl, profileUrl } from "../../src/fhir/canonical.js";
import { prepareWrite } from "../../src/fhir/resource-service.js";
import type { Store } from "../../src/store/port.js";

type Json = Record<string, unknown> & { resourceType: string; id: string };

let tick = Date.parse("2026-04-01T08:00:00.000Z");

/** Writes resources as new versions, each a millisecond after the last, so newest-first order is known. */
export async function put(store: Store, ...resources: Json[]): Promise<void> {
  const writes = [];
  for (const r of resources) {
    const current = await store.read(r.resourceType, r.id);
    tick += 1;
    writes.push(prepareWrite(r.resourceType, r.id, (current?.versionId ?? 0) + 1, new Date(tick).toISOString(), r));
  }
  await store.commit({ resources: writes });
}

const coding = (system: string, code: string) => ({ coding: [{ system: codeSystemUrl(system), code }] });

/** A Patient with a local id at `org`. */
export const patient = (id: string, org: string): Json =>
  withOwner(
    {
      resourceType: "Patient",
      id,
      meta: { profile: [profileUrl("TFG-Patient")] },
      identifier: [
        { system: `https://think-family-gateway.example/fhir/Id/mhsds-local-patient/${org}`, value: `L-${id}` },
      ],
    },
    org,
  );

/** An EpisodeOfCare of `type` for Patient `patientId`, owned and managed by `org`. */
export const episode = (
  id: string,
  org: string,
  patientId: string,
  opts: { type?: "cpa" | "drug-alcohol-treatment"; status?: string; end?: string; team?: string } = {},
): Json =>
  withOwner(
    {
      resourceType: "EpisodeOfCare",
      id,
      meta: {
        profile: [profileUrl(opts.type === "drug-alcohol-treatment" ? "TFG-TreatmentEpisode" : "TFG-CPAEpisode")],
      },
      identifier: [{ system: `https://think-family-gateway.example/fhir/Id/episode/${org}`, value: `E-${id}` }],
      status: opts.status ?? "active",
      type: [coding("episode-type", opts.type ?? "cpa")],
      patient: { reference: `Patient/${patientId}` },
      managingOrganization: { identifier: { system: "https://fhir.nhs.uk/Id/ods-organization-code", value: org } },
      period: { start: "2026-01-01", ...(opts.end ? { end: opts.end } : {}) },
      ...(opts.team ? { team: [{ reference: `CareTeam/${opts.team}` }] } : {}),
    },
    org,
  );

/** A CareTeam with a local id and a name. */
export const careTeam = (id: string, org: string, name: string): Json =>
  withOwner(
    {
      resourceType: "CareTeam",
      id,
      identifier: [{ system: `https://think-family-gateway.example/fhir/Id/mhsds-team/${org}`, value: `T-${id}` }],
      status: "active",
      name,
    },
    org,
  );

/** A parental status Observation: a state, or `blank` for one with no state coding. */
export const parentalStatus = (
  id: string,
  org: string,
  patientId: string,
  state: string,
  opts: { pregnancy?: "pregnant" | "not-pregnant"; effective?: string } = {},
): Json =>
  withOwner(
    {
      resourceType: "Observation",
      id,
      meta: { profile: [profileUrl("TFG-ParentalStatus")] },
      status: "final",
      code: coding("observation-code", "parental-status"),
      subject: { reference: `Patient/${patientId}` },
      effectiveDateTime: opts.effective ?? "2026-01-02",
      ...(state === "blank"
        ? { valueCodeableConcept: { text: "unknown" } }
        : { valueCodeableConcept: coding("parental-status", state) }),
      ...(opts.pregnancy
        ? {
            component: [
              {
                code: coding("observation-code", "pregnancy-status"),
                valueCodeableConcept: coding("pregnancy-status", opts.pregnancy),
              },
            ],
          }
        : {}),
    },
    org,
  );

/** A young-carer Observation (about the patient or a child) with answer `value`. */
export const youngCarer = (id: string, org: string, subjectId: string, value = true): Json =>
  withOwner(
    {
      resourceType: "Observation",
      id,
      meta: { profile: [profileUrl("TFG-YoungCarer")] },
      status: "final",
      code: coding("observation-code", "young-carer"),
      subject: { reference: `Patient/${subjectId}` },
      effectiveDateTime: "2026-01-02",
      valueBoolean: value,
    },
    org,
  );

/** The ingest Provenance of one source record: it names every resource the record produced. */
export const provenance = (id: string, source: string, targets: string[]): Json => ({
  resourceType: "Provenance",
  id,
  meta: { profile: [profileUrl("TFG-Provenance")], source: `urn:tfg:source:${source}` },
  target: targets.map((reference) => ({ reference })),
  recorded: "2026-04-01T08:00:00.000Z",
  agent: [{ who: { display: `Think Family Gateway ingest (${source})` } }],
  entity: [{ role: "source", what: { identifier: { system: `urn:tfg:source-record:${source}`, value: id } } }],
});

/** A derived safeguarding flag (the `flags` helper's shape: issue9-arch.md), owned by the gateway. */
export const flag = (
  id: string,
  code: string,
  subjectId: string,
  opts: { status?: "active" | "inactive"; start?: string; end?: string } = {},
): Json =>
  withOwner(
    {
      resourceType: "Flag",
      id,
      meta: { profile: [profileUrl("TFG-SafeguardingFlag")], source: "urn:tfg:derived:flags" },
      status: opts.status ?? "active",
      code: coding("flag-code", code),
      subject: { reference: `Patient/${subjectId}` },
      period: { start: opts.start ?? "2026-01-05", ...(opts.end ? { end: opts.end } : {}) },
    },
    "tfg-gateway",
  );

/** A Person linking Patient records of one person (the `link` helper's shape). */
export const person = (id: string, patientIds: string[]): Json =>
  withOwner(
    {
      resourceType: "Person",
      id,
      meta: { source: "urn:tfg:derived:person-index" },
      link: patientIds.map((p) => ({ target: { reference: `Patient/${p}` }, assurance: "level4" })),
    },
    "tfg-gateway",
  );
