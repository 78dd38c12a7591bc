// Patient/$everything over HTTP: the recording organisation gets the patient's compartment (what its own searches
// show, nothing more), another organisation with no relationship gets 404, _type and _since narrow the answer,
// start/end are reported as not applied, and the read is audited. A synthetic population through the real ingest.
import { beforeAll, describe, expect, it } from "vitest";
import { AUDIT_STREAM } from "../../src/audit/audit-log.js";
import type { TestApp } from "../support/test-app.js";
import { type FamilyCase, familyCases, ingestedApp } from "./lookup-support.js";

type Json = Record<string, unknown>;
type Bundle = {
  resourceType: string;
  type: string;
  total: number;
  entry?: { resource: Json; search?: { mode: string } }[];
};

let t: TestApp;
let k: FamilyCase;
const as = async (claims: Json, path: string) =>
  t.fhir(path, { headers: { Authorization: `Bearer ${await t.issuer.sign(claims)}` } });
const keys = (b: Bundle) =>
  (b.entry ?? []).filter((e) => e.search?.mode !== "outcome").map((e) => `${e.resource.resourceType}/${e.resource.id}`);

beforeAll(async () => {
  t = await ingestedApp({ households: 40, seed: "everything" });
  k = (await familyCases(t.store))[0] as FamilyCase;
  expect(k).toBeDefined();
});

const clinician = () => ({
  sub: "cc-1",
  org: k.trust,
  org_type: "mh-trust",
  role: "practitioner",
  purpose_of_use: "direct-care",
});

describe("Patient/$everything", () => {
  it("gives the recording organisation the patient's compartment: what its own searches show, no more", async () => {
    const res = await as(clinician(), `/fhir/Patient/${k.adult.id}/$everything`);
    expect(res.status).toBe(200);
    const bundle = (await res.json()) as Bundle;
    expect([bundle.resourceType, bundle.type]).toEqual(["Bundle", "searchset"]);
    const got = keys(bundle);
    expect(got[0]).toBe(`Patient/${k.adult.id}`);
    expect(bundle.total).toBe(got.length);
    expect(new Set(got).size).toBe(got.length);
    // Every episode, encounter and observation the same caller's searches show is in the answer.
    for (const [type, param] of [
      ["EpisodeOfCare", "patient"],
      ["Encounter", "patient"],
      ["Observation", "subject"],
    ] as const) {
      const found = (await (
        await as(clinician(), `/fhir/${type}?${param}=Patient/${k.adult.id}&_count=1000`)
      ).json()) as Bundle;
      for (const key of keys(found)) expect(got, key).toContain(key);
    }
    expect(got).toContain(`EpisodeOfCare/${k.episode.id}`);
    // Nothing in the answer that the caller could not read one by one.
    for (const key of got) expect((await as(clinician(), `/fhir/${key}`)).status, key).toBe(200);
  });

  it("answers 404 to an organisation with no relationship, as a read does", async () => {
    const stranger = { ...clinician(), sub: "x-1", org: "RT9" };
    const res = await as(stranger, `/fhir/Patient/${k.adult.id}/$everything`);
    expect(res.status).toBe(404);
    expect((await as(stranger, `/fhir/Patient/${k.adult.id}`)).status).toBe(404);
  });

  it("narrows by _type and _since, reports start/end as not applied, and refuses an unknown _type", async () => {
    const only = (await (
      await as(clinician(), `/fhir/Patient/${k.adult.id}/$everything?_type=EpisodeOfCare&start=2020-01-01`)
    ).json()) as Bundle;
    const types = new Set(keys(only).map((x) => x.split("/")[0]));
    expect([...types].sort()).toEqual(["EpisodeOfCare", "Patient"]);
    const outcome = only.entry?.find((e) => e.search?.mode === "outcome")?.resource as {
      issue: { expression: string[] }[];
    };
    expect(outcome.issue.map((i) => i.expression[0])).toEqual(["start"]);
    const later = (await (
      await as(clinician(), `/fhir/Patient/${k.adult.id}/$everything?_since=2999-01-01T00:00:00Z`)
    ).json()) as Bundle;
    expect(keys(later)).toEqual([`Patient/${k.adult.id}`]);
    expect((await as(clinician(), `/fhir/Patient/${k.adult.id}/$everything?_type=Nope`)).status).toBe(400);
    expect((await as(clinician(), `/fhir/Patient/${k.adult.id}/$everything?_since=yesterday`)).status).toBe(400);
  });

  it("is audited as a read of that patient", async () => {
    const before = (await t.store.readLog(AUDIT_STREAM, 0, 100_000)).length;
    await as(clinician(), `/fhir/Patient/${k.adult.id}/$everything`);
    const after = await t.store.readLog(AUDIT_STREAM, before, 100_000);
    expect(after.length).toBeGreaterThan(0);
    expect(JSON.stringify(after.map((e) => e.payload))).toContain(`Patient/${k.adult.id}`);
  });
});
