// GET /fhir/Patient/{id}/$family over a real ingest (CPA, NDTMS, CIN census, SSD; persons, households and flags
// derived by the chain) on SQLite: a CPA clinician with direct-care and the patient on their caseload sees the
// children of the patient's household at summary (status, LA contact); a caller with no relationship gets an empty
// answer, the same as for an unknown id; every decision is audited; a bad id is a 400 naming it.
import { beforeAll, describe, expect, it } from "vitest";
import { canValidate, validateResource } from "../../src/fhir/validation/index.js";
import type { TestApp } from "../support/test-app.js";
import { type FamilyCase, familyCases, ingestedApp } from "./lookup-support.js";

type Json = Record<string, unknown>;
type Part = { name: string; resource?: Json; part?: Part[]; valueCode?: string };

let t: TestApp;
let k: FamilyCase;

async function familyOf(id: string, org: string, orgType = "mh-trust", purpose = "direct-care") {
  const token = await t.issuer.sign({
    sub: `u-${org}`,
    org,
    org_type: orgType,
    role: "practitioner",
    purpose_of_use: purpose,
  });
  const res = await t.app.request(`http://gw.test/fhir/Patient/${id}/$family`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Json & { parameter?: Part[] } };
}

const parts = (p: Part, name: string) => (p.part ?? []).filter((x) => x.name === name);

/** Every Patient record the person index links with `key` (and `key`). */
async function sameChild(key: string): Promise<string[]> {
  const persons = (await t.store.search({ resourceType: "Person", criteria: [], count: 10_000, sort: "id" })).versions;
  const out = new Set([key]);
  for (const v of persons) {
    const links = ((v.resource as Json).link as { target?: { reference?: string } }[] | undefined) ?? [];
    const refs = links.map((l) => l.target?.reference ?? "");
    if (refs.includes(key)) for (const r of refs) if (r.startsWith("Patient/")) out.add(r);
  }
  return [...out];
}

beforeAll(async () => {
  t = await ingestedApp();
  const found = (await familyCases(t.store)).find((c) => c.trust.startsWith("R"));
  expect(found, "a child open to an LA lives with a CPA patient").toBeDefined();
  k = found as FamilyCase;
}, 120_000);

describe("$family", () => {
  it("a CPA clinician, direct care, patient on caseload: the household's children at summary with their status", async () => {
    const { status, body } = await familyOf(k.adult.id, k.trust);
    expect(status).toBe(200);
    expect(body.resourceType).toBe("Parameters");
    const mine = await sameChild(`Patient/${k.child.id}`);
    const child = (body.parameter ?? []).find((p) =>
      mine.includes(`Patient/${parts(p, "child")[0]?.resource?.id as string}`),
    ) as Part;
    expect(child, "the child is listed").toBeDefined();
    expect(parts(child, "level")[0]?.valueCode).toBe("summary");
    const shown = parts(child, "child")[0]?.resource as Json;
    expect(shown).toHaveProperty("birthDate");
    expect(shown).not.toHaveProperty("address");
    const statuses = [...parts(child, "episode"), ...parts(child, "plan"), ...parts(child, "flag")];
    expect(statuses.length, "some CP / CIN / looked-after status is shown").toBeGreaterThan(0);
    for (const s of statuses) expect(s.resource).not.toHaveProperty("text");
    for (const c of parts(child, "laContact")) expect(c.resource?.resourceType).toBe("Practitioner");
    // Only children: no adult of the household is listed.
    for (const p of body.parameter ?? [])
      expect(parts(p, "child")[0]?.resource?.birthDate as string).toMatch(/^20(0[89]|[1-2]\d)/);
  });

  it("a caller with no relationship gets nothing, the same answer as for an unknown id", async () => {
    const none = await familyOf(k.adult.id, "RXZ");
    expect(none.status).toBe(200);
    expect(none.body.parameter ?? []).toEqual([]);
    const unknown = await familyOf("no-such-patient", k.trust);
    expect(unknown).toEqual(none);
  });

  it("every decision is audited: the clinician's permits and the stranger's deny", async () => {
    const events = (
      await t.store.search({ resourceType: "AuditEvent", criteria: [], count: 10_000, sort: "id" })
    ).versions.map((v) => v.resource as Json);
    const rows = events.map((e) => {
      const entity = (e.entity as Json[]) ?? [];
      const details = (entity[0]?.detail as { type: string; valueString: string }[]) ?? [];
      return {
        org: ((e.agent as Json[])[1]?.who as { identifier?: { value?: string } })?.identifier?.value,
        what: entity.map((x) => (x.what as { reference?: string } | undefined)?.reference),
        name: entity.map((x) => x.name),
        rule: details.find((d) => d.type === "rule")?.valueString,
      };
    });
    const family = rows.filter((r) => r.name.includes("$family"));
    expect(family).toContainEqual(expect.objectContaining({ org: k.trust, rule: "recording-organisation" }));
    expect(family).toContainEqual(expect.objectContaining({ org: k.trust, rule: "adult-services-household-children" }));
    expect(family).toContainEqual(expect.objectContaining({ org: "RXZ", rule: "default-deny" }));
  });

  it("a malformed id is a 400 naming it", async () => {
    const { status, body } = await familyOf("bad%20id%20with%20spaces", k.trust);
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain('"id"');
  });

  it("both operations are in the CapabilityStatement and served as OperationDefinitions", async () => {
    const cs = (await (await t.app.request("http://gw.test/fhir/metadata")).json()) as Json;
    const patient = (((cs.rest as Json[])[0] as Json).resource as Json[]).find((r) => r.type === "Patient") as Json;
    const ops = (patient.operation as { name: string; definition: string }[]).map((o) => o.name);
    expect(ops).toEqual(expect.arrayContaining(["household-check", "family"]));
    for (const op of patient.operation as { name: string; definition: string }[]) {
      if (op.name === "validate" || op.name === "everything") continue; // HL7's own definitions
      const res = await t.app.request(`http://gw.test/fhir/OperationDefinition/${op.name}`);
      expect(res.status).toBe(200);
      const def = (await res.json()) as Json;
      expect(def).toMatchObject({ resourceType: "OperationDefinition", url: op.definition, code: op.name });
      expect(canValidate("OperationDefinition")).toBe(true);
      expect(validateResource(def).filter((i) => i.severity === "error" || i.severity === "fatal")).toEqual([]);
    }
  });
});
