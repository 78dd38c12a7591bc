// FHIR REST behaviour of the real app over a real SQLite store: interactions, search, paging, transactions, errors.
import { beforeAll, describe, expect, it } from "vitest";
import { SEARCH_PARAMS } from "../../src/fhir/resource-types.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

const NHS = "https://fhir.nhs.uk/Id/nhs-number";
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), { TFG_BODY_LIMIT_BYTES: "20000" });
});

const patient = (extra: Record<string, unknown> = {}) => ({
  resourceType: "Patient",
  identifier: [{ system: NHS, value: "9990000018" }],
  gender: "female",
  ...extra,
});

async function create(body: Record<string, unknown>) {
  const res = await t.fhir(`/fhir/${body.resourceType}`, { method: "POST", json: body });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; meta: { versionId: string } };
}

async function outcome(res: Response) {
  expect(res.headers.get("Content-Type")).toContain("application/fhir+json");
  const body = (await res.json()) as {
    resourceType: string;
    issue: { code: string; diagnostics: string; expression?: string[] }[];
  };
  expect(body.resourceType).toBe("OperationOutcome");
  return body.issue;
}

describe("metadata", () => {
  it("serves a CapabilityStatement without a token, listing only implemented interactions", async () => {
    const res = await t.app.request("http://gw.test/fhir/metadata");
    expect(res.status).toBe(200);
    const cs = (await res.json()) as {
      fhirVersion: string;
      rest: {
        resource: { type: string; interaction: { code: string }[]; searchParam: { name: string }[] }[];
        interaction: { code: string }[];
      }[];
    };
    expect(cs.fhirVersion).toBe("4.0.1");
    const p = cs.rest[0]?.resource.find((r) => r.type === "Patient");
    expect(p?.interaction.map((i) => i.code).sort()).toEqual(
      [
        "create",
        "delete",
        "history-instance",
        "history-type",
        "patch",
        "read",
        "search-type",
        "update",
        "vread",
      ].sort(),
    );
    expect(p?.searchParam.map((s) => s.name)).toEqual([
      "_id",
      "_lastUpdated",
      ...(SEARCH_PARAMS.Patient ?? []).map((d) => d.name),
    ]);
    expect(cs.rest[0]?.interaction.map((i) => i.code)).toEqual(["transaction", "history-system"]);
  });
});

describe("create, read, vread, update, delete, history", () => {
  it("creates with 201, Location and ETag, and reads it back", async () => {
    const res = await t.fhir("/fhir/Patient", { method: "POST", json: patient() });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; meta: { versionId: string; lastUpdated: string } };
    expect(res.headers.get("Location")).toBe(`http://gw.test/fhir/Patient/${body.id}/_history/1`);
    expect(res.headers.get("ETag")).toBe('W/"1"');
    expect(body.meta.versionId).toBe("1");
    const read = await t.fhir(`/fhir/Patient/${body.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("ETag")).toBe('W/"1"');
    expect(await read.json()).toEqual(body);
  });

  it("ignores a client-supplied id and meta.versionId on create", async () => {
    const body = await create(patient({ id: "chosen-by-client", meta: { versionId: "99" } }));
    expect(body.id).not.toBe("chosen-by-client");
    expect(body.meta.versionId).toBe("1");
  });

  it("updates with If-Match, rejects a stale If-Match with 412, and keeps both versions", async () => {
    const { id } = await create(patient());
    const v2 = await t.fhir(`/fhir/Patient/${id}`, {
      method: "PUT",
      headers: { "If-Match": 'W/"1"' },
      json: patient({ id, gender: "male" }),
    });
    expect(v2.status).toBe(200);
    expect(v2.headers.get("ETag")).toBe('W/"2"');
    const stale = await t.fhir(`/fhir/Patient/${id}`, {
      method: "PUT",
      headers: { "If-Match": 'W/"1"' },
      json: patient({ id, gender: "other" }),
    });
    expect(stale.status).toBe(412);
    expect((await outcome(stale))[0]?.code).toBe("conflict");
    const cur = (await (await t.fhir(`/fhir/Patient/${id}`)).json()) as { gender: string };
    expect(cur.gender).toBe("male");
    const v1 = (await (await t.fhir(`/fhir/Patient/${id}/_history/1`)).json()) as { gender: string };
    expect(v1.gender).toBe("female");
  });

  it("creates on PUT to a new id (201) and rejects an id that differs from the URL", async () => {
    const res = await t.fhir("/fhir/Patient/new-id-1", { method: "PUT", json: patient({ id: "new-id-1" }) });
    expect(res.status).toBe(201);
    const mismatch = await t.fhir("/fhir/Patient/new-id-2", { method: "PUT", json: patient({ id: "other" }) });
    expect(mismatch.status).toBe(400);
    expect((await outcome(mismatch))[0]?.expression).toEqual(["id"]);
  });

  it("deletes: read gives 410, history shows the deletion, delete again is harmless", async () => {
    const { id } = await create(patient());
    expect((await t.fhir(`/fhir/Patient/${id}`, { method: "DELETE" })).status).toBe(204);
    const gone = await t.fhir(`/fhir/Patient/${id}`);
    expect(gone.status).toBe(410);
    expect((await outcome(gone))[0]?.code).toBe("deleted");
    expect((await t.fhir(`/fhir/Patient/${id}`, { method: "DELETE" })).status).toBe(204);
    const history = (await (await t.fhir(`/fhir/Patient/${id}/_history`)).json()) as {
      type: string;
      total: number;
      entry: { request: { method: string }; resource?: unknown }[];
    };
    expect(history.type).toBe("history");
    expect(history.total).toBe(2);
    expect(history.entry.map((e) => e.request.method)).toEqual(["DELETE", "POST"]);
    expect(history.entry[0]?.resource).toBeUndefined();
  });

  it("answers 404 for an unknown id, version, type or route", async () => {
    expect((await t.fhir("/fhir/Patient/does-not-exist")).status).toBe(404);
    const { id } = await create(patient());
    expect((await t.fhir(`/fhir/Patient/${id}/_history/7`)).status).toBe(404);
    const badType = await t.fhir("/fhir/Spaceship/1");
    expect(badType.status).toBe(404);
    expect((await outcome(badType))[0]?.code).toBe("not-found");
    const route = await t.fhir("/nowhere");
    expect(route.status).toBe(404);
    await outcome(route);
  });
});

describe("search", () => {
  it("finds by identifier (system|value, value, system|), _id, patient and subject", async () => {
    const nhs = `999${Date.now().toString().slice(-7)}`;
    const p = await create(patient({ identifier: [{ system: NHS, value: nhs }] }));
    const o1 = await create({
      resourceType: "Observation",
      status: "final",
      code: { text: "x" },
      subject: { reference: `Patient/${p.id}` },
    });
    await create({
      resourceType: "Observation",
      status: "final",
      code: { text: "y" },
      subject: { reference: "Patient/someone-else" },
    });
    const ids = async (q: string) => {
      const res = await t.fhir(q);
      expect(res.status).toBe(200);
      const b = (await res.json()) as { total: number; entry: { resource: { id: string } }[] };
      return (b.entry ?? []).map((e) => e.resource.id);
    };
    expect(await ids(`/fhir/Patient?identifier=${encodeURIComponent(`${NHS}|${nhs}`)}`)).toEqual([p.id]);
    expect(await ids(`/fhir/Patient?identifier=${nhs}`)).toEqual([p.id]);
    expect(await ids(`/fhir/Patient?identifier=${encodeURIComponent("https://other|")}${nhs}`)).toEqual([]);
    expect(await ids(`/fhir/Patient?_id=${p.id}`)).toEqual([p.id]);
    expect(await ids(`/fhir/Observation?patient=${p.id}`)).toEqual([o1.id]);
    expect(await ids(`/fhir/Observation?subject=Patient/${p.id}`)).toEqual([o1.id]);
    expect(await ids(`/fhir/Observation?subject=${encodeURIComponent(`http://gw.test/fhir/Patient/${p.id}`)}`)).toEqual(
      [o1.id],
    );
  });

  it("pages with absolute next links and a correct total", async () => {
    const tag = `page-${Date.now()}`;
    for (let i = 0; i < 5; i++)
      await create({
        resourceType: "Encounter",
        status: "finished",
        class: { code: "AMB" },
        identifier: [{ value: tag }],
      });
    let url: string | undefined = `/fhir/Encounter?identifier=${tag}&_count=2`;
    const seen: string[] = [];
    let pages = 0;
    while (url) {
      const res = await t.fhir(url.replace("http://gw.test", ""));
      const b = (await res.json()) as {
        total: number;
        link: { relation: string; url: string }[];
        entry: { resource: { id: string } }[];
      };
      expect(b.total).toBe(5);
      seen.push(...b.entry.map((e) => e.resource.id));
      url = b.link.find((l) => l.relation === "next")?.url;
      if (url) expect(url.startsWith("http://gw.test/fhir/Encounter?")).toBe(true);
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
  });

  it("filters on _lastUpdated with prefixes and precision", async () => {
    const { id } = await create(patient());
    const year = new Date().getUTCFullYear();
    const total = async (q: string) =>
      ((await (await t.fhir(`/fhir/Patient?_id=${id}&${q}`)).json()) as { total: number }).total;
    expect(await total(`_lastUpdated=${year}`)).toBe(1);
    expect(await total(`_lastUpdated=gt${year}`)).toBe(0);
    expect(await total(`_lastUpdated=lt${year}`)).toBe(0);
    expect(await total(`_lastUpdated=ge${year - 1}-12-31`)).toBe(1);
    expect(await total(`_lastUpdated=le${year}-12-31T23:59:59Z`)).toBe(1);
  });

  it("gives _count=0 the total only, and caps _count", async () => {
    const res = await t.fhir("/fhir/Patient?_count=0");
    const b = (await res.json()) as { total: number; entry: unknown[] };
    expect(b.total).toBeGreaterThan(0);
    expect(b.entry).toBeUndefined();
  });

  it("rejects malformed parameters with 400 and the parameter name, ignores unknown ones unless strict", async () => {
    for (const q of ["_lastUpdated=yesterday", "_count=-1", "identifier:exact=1", "_lastUpdated=xx2020"]) {
      const res = await t.fhir(`/fhir/Patient?${q}`);
      expect(res.status, q).toBe(400);
      expect((await outcome(res))[0]?.expression?.[0]).toBeTruthy();
    }
    expect((await t.fhir("/fhir/Patient?colour=blue")).status).toBe(200);
    expect((await t.fhir("/fhir/Patient?colour=blue", { headers: { Prefer: "handling=strict" } })).status).toBe(400);
  });

  it("searches by POST _search with a form body", async () => {
    const { id } = await create(patient());
    const res = await t.fhir("/fhir/Patient/_search", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `_id=${id}`,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { total: number }).total).toBe(1);
  });
});

describe("transactions", () => {
  it("commits every entry and resolves urn:uuid references", async () => {
    const res = await t.fhir("/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          {
            fullUrl: "urn:uuid:6b1c7e2a-0000-4000-8000-000000000001",
            resource: patient(),
            request: { method: "POST", url: "Patient" },
          },
          {
            resource: {
              resourceType: "Flag",
              status: "active",
              code: { text: "household has children" },
              subject: { reference: "urn:uuid:6b1c7e2a-0000-4000-8000-000000000001" },
            },
            request: { method: "POST", url: "Flag" },
          },
        ],
      },
    });
    expect(res.status).toBe(200);
    const b = (await res.json()) as {
      type: string;
      entry: {
        response: { status: string; location: string };
        resource: { id: string; subject?: { reference: string } };
      }[];
    };
    expect(b.type).toBe("transaction-response");
    expect(b.entry.map((e) => e.response.status)).toEqual(["201 Created", "201 Created"]);
    const pid = b.entry[0]?.resource.id;
    expect(b.entry[1]?.resource.subject?.reference).toBe(`Patient/${pid}`);
    const flags = (await (await t.fhir(`/fhir/Flag?patient=${pid}`)).json()) as { total: number };
    expect(flags.total).toBe(1);
  });

  it("writes nothing when one entry fails (stale If-Match)", async () => {
    const { id } = await create(patient());
    await t.fhir(`/fhir/Patient/${id}`, { method: "PUT", json: patient({ id, gender: "male" }) });
    const tag = `atomic-${Date.now()}`;
    const res = await t.fhir("/fhir/", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          { resource: patient({ identifier: [{ value: tag }] }), request: { method: "POST", url: "Patient" } },
          {
            resource: patient({ id, gender: "other" }),
            request: { method: "PUT", url: `Patient/${id}`, ifMatch: 'W/"1"' },
          },
        ],
      },
    });
    expect(res.status).toBe(412);
    expect(((await (await t.fhir(`/fhir/Patient?identifier=${tag}`)).json()) as { total: number }).total).toBe(0);
    expect(((await (await t.fhir(`/fhir/Patient/${id}`)).json()) as { gender: string }).gender).toBe("male");
  });

  it("points at the failing entry of an invalid transaction", async () => {
    const res = await t.fhir("/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          { resource: patient(), request: { method: "POST", url: "Patient" } },
          { resource: { resourceType: "Observation" }, request: { method: "POST", url: "Patient" } },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect((await outcome(res))[0]?.expression).toEqual(["Bundle.entry[1].resource.resourceType"]);
  });
});

describe("errors are OperationOutcomes with the right status", () => {
  it("400 for malformed JSON, without echoing the body", async () => {
    const res = await t.fhir("/fhir/Patient", {
      method: "POST",
      headers: { "Content-Type": "application/fhir+json" },
      body: '{"resourceType":"Patient","name":[{"family":"Smithson"}',
    });
    expect(res.status).toBe(400);
    const issues = await outcome(res);
    expect(issues[0]?.diagnostics).toMatch(/not valid JSON/);
    expect(JSON.stringify(issues)).not.toContain("Smithson");
  });

  it("400 for the wrong resource type and for a body that is not an object", async () => {
    const wrong = await t.fhir("/fhir/Patient", { method: "POST", json: { resourceType: "Observation" } });
    expect(wrong.status).toBe(400);
    expect((await outcome(wrong))[0]?.expression).toEqual(["resourceType"]);
    expect((await t.fhir("/fhir/Patient", { method: "POST", json: [1, 2] })).status).toBe(400);
  });

  it("413 for a body over the limit, 415 for another media type, 405 for a wrong method", async () => {
    const big = await t.fhir("/fhir/Patient", { method: "POST", json: patient({ text: { div: "x".repeat(30_000) } }) });
    expect(big.status).toBe(413);
    expect((await outcome(big))[0]?.code).toBe("too-long");
    const xml = await t.fhir("/fhir/Patient", {
      method: "POST",
      headers: { "Content-Type": "application/xml" },
      body: "<Patient/>",
    });
    expect(xml.status).toBe(415);
    await outcome(xml);
    const post = await t.fhir("/fhir/Patient/abc", { method: "POST", json: {} });
    expect(post.status).toBe(405);
  });

  it("accepts application/json and ignores a Content-Type on GET", async () => {
    const res = await t.fhir("/fhir/Patient", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(patient()),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect((await t.fhir(`/fhir/Patient/${id}`, { headers: { "Content-Type": "text/plain" } })).status).toBe(200);
  });
});

describe("writes are validated against FHIR R4 and the profiles they claim", () => {
  const TFG_PATIENT = "https://think-family-gateway.example/fhir/StructureDefinition/TFG-Patient";

  it("refuses a create or update that breaks R4 with 422, every issue located, and stores nothing", async () => {
    const bad = await t.fhir("/fhir/Patient", {
      method: "POST",
      json: patient({ gender: "man", birthDate: "31/12/1980" }),
    });
    expect(bad.status).toBe(422);
    const issues = await outcome(bad);
    expect(issues.map((i) => i.expression?.[0]).sort()).toEqual(["Patient.birthDate", "Patient.gender"]);
    expect(JSON.stringify(issues)).not.toContain("31/12/1980");

    const { id } = await create(patient());
    const put = await t.fhir(`/fhir/Patient/${id}`, { method: "PUT", json: patient({ id, active: "yes" }) });
    expect(put.status).toBe(422);
    expect((await outcome(put))[0]?.expression).toEqual(["Patient.active"]);
    const current = (await (await t.fhir(`/fhir/Patient/${id}`)).json()) as { meta: { versionId: string } };
    expect(current.meta.versionId).toBe("1");
  });

  it("checks a claimed profile: an NHS number failing its check digit is refused without being echoed", async () => {
    const claimed = patient({ meta: { profile: [TFG_PATIENT] }, identifier: [{ system: NHS, value: "9990000019" }] });
    const res = await t.fhir("/fhir/Patient", { method: "POST", json: claimed });
    expect(res.status).toBe(422);
    const issues = await outcome(res);
    expect(issues.some((i) => i.expression?.[0]?.startsWith("Patient.identifier[0]"))).toBe(true);
    expect(JSON.stringify(issues)).not.toContain("9990000019");
  });

  it("refuses a transaction with an invalid entry as a whole, pointing into the Bundle", async () => {
    const tag = `invalid-tx-${Date.now()}`;
    const res = await t.fhir("/fhir", {
      method: "POST",
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          { resource: patient({ identifier: [{ value: tag }] }), request: { method: "POST", url: "Patient" } },
          { resource: patient({ gender: "man" }), request: { method: "POST", url: "Patient" } },
        ],
      },
    });
    expect(res.status).toBe(422);
    expect((await outcome(res))[0]?.expression).toEqual(["Bundle.entry[1].resource.gender"]);
    expect(((await (await t.fhir(`/fhir/Patient?identifier=${tag}`)).json()) as { total: number }).total).toBe(0);
  });
});
