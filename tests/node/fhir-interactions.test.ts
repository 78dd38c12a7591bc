// JSON Patch, type and system history, and consistent statuses for what is not served, over the real app and SQLite.
import { beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

type Issue = { code: string; diagnostics: string; expression?: string[] };
type Res = { resourceType: string; id: string; meta: { versionId: string }; [k: string]: unknown };
type HistoryEntry = {
  fullUrl: string;
  resource?: Res;
  request: { method: string; url: string };
  response: { status: string; etag: string; lastModified: string };
};
type HistoryBundle = {
  resourceType: string;
  type: string;
  total: number;
  entry?: HistoryEntry[];
  link: { relation: string; url: string }[];
};

const fresh = async (clock?: () => Date) =>
  createTestApp(await openSqliteStore(":memory:", loadMigrations()), {}, clock ? { clock } : {});

/** A clock that moves one second per reading, so every write has its own lastUpdated. */
const tickingClock = (start = Date.UTC(2026, 2, 1)) => {
  let n = 0;
  return () => new Date(start + 1000 * n++);
};

async function outcome(res: Response): Promise<Issue[]> {
  expect(res.headers.get("Content-Type")).toContain("application/fhir+json");
  const body = (await res.json()) as { resourceType: string; issue: Issue[] };
  expect(body.resourceType).toBe("OperationOutcome");
  return body.issue;
}

async function create(t: TestApp, body: Record<string, unknown>): Promise<Res> {
  const res = await t.fhir(`/fhir/${body.resourceType}`, { method: "POST", json: body });
  expect(res.status).toBe(201);
  return (await res.json()) as Res;
}

const patchReq = (t: TestApp, path: string, ops: unknown, headers: Record<string, string> = {}) =>
  t.fhir(path, {
    method: "PATCH",
    headers: { "Content-Type": "application/json-patch+json", ...headers },
    body: JSON.stringify(ops),
  });

describe("the CapabilityStatement", () => {
  it("lists patch (JSON Patch only), type and system history, $validate, and the family lookups on Patient", async () => {
    const t = await fresh();
    const cs = (await (await t.app.request("http://gw.test/fhir/metadata")).json()) as {
      patchFormat: string[];
      rest: {
        interaction: { code: string }[];
        resource: { type: string; interaction: { code: string }[]; operation: { name: string }[] }[];
      }[];
    };
    expect(cs.patchFormat).toEqual(["application/json-patch+json"]);
    expect(cs.rest[0]?.interaction.map((i) => i.code)).toContain("history-system");
    for (const r of cs.rest[0]?.resource ?? []) {
      // AuditEvent is read-only over REST (docs/AUDIT.md): no create, update, patch or delete.
      const writes = r.type === "AuditEvent" ? [] : ["patch"];
      expect(r.interaction.map((i) => i.code)).toEqual(expect.arrayContaining([...writes, "history-type"]));
      // The family lookups (docs/LOOKUPS.md) are Patient operations; $validate is on every type.
      expect(r.operation.map((o) => o.name)).toEqual(
        r.type === "Patient" ? ["validate", "everything", "household-check", "family"] : ["validate"],
      );
    }
  });
});

describe("an unserved resource type is a 404 OperationOutcome for every interaction", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await fresh();
  });

  /** Every interaction the gateway has, as a request on `type` (instance `id`); `ok` is the status when served. */
  const interactions = (type: string, id: string) =>
    [
      ["read", "GET", `/fhir/${type}/${id}`, undefined, 200],
      ["vread", "GET", `/fhir/${type}/${id}/_history/1`, undefined, 200],
      ["history-instance", "GET", `/fhir/${type}/${id}/_history`, undefined, 200],
      ["history-type", "GET", `/fhir/${type}/_history`, undefined, 200],
      ["search-type GET", "GET", `/fhir/${type}?_id=${id}`, undefined, 200],
      ["search-type POST", "POST", `/fhir/${type}/_search`, ["application/x-www-form-urlencoded", `_id=${id}`], 200],
      ["create", "POST", `/fhir/${type}`, ["application/fhir+json", JSON.stringify({ resourceType: type })], 201],
      [
        "update",
        "PUT",
        `/fhir/${type}/${id}`,
        ["application/fhir+json", JSON.stringify({ resourceType: type, id, active: true })],
        200,
      ],
      [
        "patch",
        "PATCH",
        `/fhir/${type}/${id}`,
        ["application/json-patch+json", JSON.stringify([{ op: "add", path: "/active", value: false }])],
        200,
      ],
      ["delete", "DELETE", `/fhir/${type}/${id}`, undefined, 204],
    ] as const;

  const send = (method: string, path: string, body: readonly [string, string] | undefined) =>
    t.fhir(path, { method, ...(body ? { headers: { "Content-Type": body[0] }, body: body[1] } : {}) });

  it.each([
    ["a valid R4 type the gateway does not serve", "Medication"],
    ["an unknown type", "Spaceship"],
  ])("%s", async (_, type) => {
    const statuses: Record<string, number> = {};
    const codes = new Set<string>();
    for (const [name, method, path, body] of interactions(type, "x1")) {
      const res = await send(method, path, body);
      statuses[name] = res.status;
      for (const i of await outcome(res)) codes.add(i.code);
    }
    expect(statuses).toEqual(Object.fromEntries(interactions(type, "x1").map(([name]) => [name, 404])));
    expect([...codes]).toEqual(["not-found"]);
  });

  it("a served type answers every one of those interactions", async () => {
    const { id } = await create(t, { resourceType: "Patient", gender: "female" });
    const statuses: Record<string, number> = {};
    for (const [name, method, path, body] of interactions("Patient", id)) {
      statuses[name] = (await send(method, path, body)).status;
    }
    expect(statuses).toEqual(Object.fromEntries(interactions("Patient", id).map(([name, , , , ok]) => [name, ok])));
  });
});

describe("unsupported operations and methods", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await fresh();
  });

  it.each([
    ["GET", "/fhir/Patient/$everything"],
    ["POST", "/fhir/Patient/$everything"],
    ["GET", "/fhir/$foo"],
    ["POST", "/fhir/%24foo"],
    ["GET", "/fhir/Patient/1/$bar"],
    ["POST", "/fhir/Patient/1/$everything"],
  ])("%s %s is 400 not-supported", async (method, path) => {
    const res = await t.fhir(path, {
      method,
      ...(method === "POST" ? { json: { resourceType: "Parameters" } } : {}),
    });
    expect(res.status).toBe(400);
    const [issue] = await outcome(res);
    expect(issue?.code).toBe("not-supported");
    expect(issue?.diagnostics).toMatch(/operation '\$(everything|foo|bar)'/);
  });

  it("an operation on an unserved type is the type's 404", async () => {
    const res = await t.fhir("/fhir/Spaceship/$everything");
    expect(res.status).toBe(404);
    expect((await outcome(res))[0]?.code).toBe("not-found");
  });

  it.each([
    ["DELETE", "/fhir/Patient"],
    ["PUT", "/fhir/Patient"],
    ["PATCH", "/fhir/Patient"],
    ["PUT", "/fhir"],
    ["DELETE", "/fhir/"],
    ["POST", "/fhir/Patient/abc"],
    ["DELETE", "/fhir/_history"],
    ["POST", "/fhir/metadata"],
    ["POST", "/fhir/Patient/_history"],
    ["DELETE", "/fhir/Patient/abc/_history"],
    ["PUT", "/fhir/Patient/abc/_history/1"],
    ["GET", "/fhir/Patient/$validate"],
  ])("%s %s is 405 with an OperationOutcome", async (method, path) => {
    const res = await t.fhir(path, { method });
    expect(res.status).toBe(405);
    expect((await outcome(res))[0]?.code).toBe("not-supported");
  });
});

describe("JSON Patch (PATCH with application/json-patch+json)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await fresh();
  });
  const patient = () =>
    create(t, {
      resourceType: "Patient",
      gender: "female",
      name: [{ family: "Testperson", given: ["Ada"] }],
    });
  const read = async (id: string) => (await (await t.fhir(`/fhir/Patient/${id}`)).json()) as Res;

  it("stores the patched resource as a new version with ETag and Location", async () => {
    const { id } = await patient();
    const res = await patchReq(t, `/fhir/Patient/${id}`, [
      { op: "test", path: "/gender", value: "female" },
      { op: "replace", path: "/gender", value: "other" },
      { op: "add", path: "/name/0/given/-", value: "Beth" },
      { op: "add", path: "/birthDate", value: "2001-02-03" },
    ]);
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe('W/"2"');
    expect(res.headers.get("Location")).toMatch(new RegExp(`/fhir/Patient/${id}/_history/2$`));
    const body = (await res.json()) as Res;
    expect(body).toMatchObject({ id, gender: "other", birthDate: "2001-02-03", meta: { versionId: "2" } });
    expect(body.name).toEqual([{ family: "Testperson", given: ["Ada", "Beth"] }]);
    expect(await read(id)).toEqual(body);
    const v1 = (await (await t.fhir(`/fhir/Patient/${id}/_history/1`)).json()) as Res;
    expect(v1.gender).toBe("female");
  });

  it("honours If-Match: 412 when stale and nothing written, the patch applies when current", async () => {
    const { id } = await patient();
    await t.fhir(`/fhir/Patient/${id}`, { method: "PUT", json: { resourceType: "Patient", id, gender: "male" } });
    const ops = [{ op: "replace", path: "/gender", value: "unknown" }];
    const stale = await patchReq(t, `/fhir/Patient/${id}`, ops, { "If-Match": 'W/"1"' });
    expect(stale.status).toBe(412);
    expect((await outcome(stale))[0]?.code).toBe("conflict");
    expect((await read(id)).meta.versionId).toBe("2");
    const ok = await patchReq(t, `/fhir/Patient/${id}`, ops, { "If-Match": 'W/"2"' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("ETag")).toBe('W/"3"');
    expect((await read(id)).gender).toBe("unknown");
  });

  it.each([
    [
      "a failed test",
      [
        { op: "add", path: "/active", value: true },
        { op: "test", path: "/gender", value: "male" },
      ],
      422,
      1,
      "Patient.gender",
    ],
    ["a path that does not exist", [{ op: "remove", path: "/birthDate" }], 422, 0, "Patient.birthDate"],
    [
      "an array index out of range",
      [{ op: "replace", path: "/name/5/family", value: "X" }],
      422,
      0,
      "Patient.name[5].family",
    ],
    ["a from that does not exist", [{ op: "copy", from: "/telecom", path: "/contact" }], 422, 0, "Patient.contact"],
    [
      "an unknown op",
      [
        { op: "add", path: "/active", value: true },
        { op: "frobnicate", path: "/gender" },
      ],
      400,
      1,
      "Patient.gender",
    ],
    ["an op without its value", [{ op: "replace", path: "/gender" }], 400, 0, "Patient.gender"],
    ["the internal _get op", [{ op: "_get", path: "/gender" }], 400, 0, "Patient.gender"],
    ["a path that is not a pointer", [{ op: "remove", path: "gender" }], 400, 0, "Patient"],
    ["a change of id", [{ op: "replace", path: "/id", value: "other-id" }], 422, 0, "Patient.id"],
    [
      "a change of resourceType",
      [{ op: "replace", path: "/resourceType", value: "Group" }],
      422,
      0,
      "Patient.resourceType",
    ],
    [
      "a whole-document replace with another id",
      [{ op: "replace", path: "", value: { resourceType: "Patient", id: "zz" } }],
      422,
      0,
      "Patient",
    ],
  ])("refuses %s with the operation's index and stores nothing", async (_, ops, status, index, expression) => {
    const { id } = await patient();
    const res = await patchReq(t, `/fhir/Patient/${id}`, ops);
    expect(res.status).toBe(status);
    const [issue] = await outcome(res);
    expect(issue?.diagnostics).toContain(`operation ${index}`);
    expect(issue?.expression).toEqual([expression]);
    expect((await read(id)).meta.versionId).toBe("1");
  });

  it("refuses a body that is not an array of operations, or not JSON, with 400", async () => {
    const { id } = await patient();
    for (const body of ['{"op":"add"}', "not json", "[1]"]) {
      const res = await t.fhir(`/fhir/Patient/${id}`, {
        method: "PATCH",
        headers: { "Content-Type": "application/json-patch+json" },
        body,
      });
      expect(res.status).toBe(400);
      await outcome(res);
    }
  });

  it("validates the patched resource exactly as an update: an invalid result is a 422 and stores nothing", async () => {
    const { id } = await patient();
    const res = await patchReq(t, `/fhir/Patient/${id}`, [
      { op: "replace", path: "/gender", value: "bogus" },
      { op: "add", path: "/unknownElement", value: 1 },
    ]);
    expect(res.status).toBe(422);
    const issues = await outcome(res);
    expect(issues.flatMap((i) => i.expression ?? [])).toEqual(
      expect.arrayContaining(["Patient.gender", "Patient.unknownElement"]),
    );
    expect((await read(id)).gender).toBe("female");
  });

  it("says 415 for a FHIRPath Patch (Parameters) body, 404 for an unknown id and 410 for a deleted one", async () => {
    const { id } = await patient();
    const fhirpath = await t.fhir(`/fhir/Patient/${id}`, {
      method: "PATCH",
      json: { resourceType: "Parameters", parameter: [{ name: "operation" }] },
    });
    expect(fhirpath.status).toBe(415);
    expect((await outcome(fhirpath))[0]?.diagnostics).toContain("application/json-patch+json");
    const ops = [{ op: "add", path: "/active", value: true }];
    expect((await patchReq(t, "/fhir/Patient/nobody", ops)).status).toBe(404);
    await t.fhir(`/fhir/Patient/${id}`, { method: "DELETE" });
    expect((await patchReq(t, `/fhir/Patient/${id}`, ops)).status).toBe(410);
  });

  it("keeps elements the patch does not touch and answers Prefer: return=minimal with no body", async () => {
    const { id } = await patient();
    const res = await patchReq(t, `/fhir/Patient/${id}`, [{ op: "add", path: "/active", value: true }], {
      Prefer: "return=minimal",
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    const now = await read(id);
    expect(now).toMatchObject({ active: true, gender: "female", name: [{ family: "Testperson", given: ["Ada"] }] });
  });
});

describe("PATCH inside a transaction (a Binary of application/json-patch+json)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await fresh();
  });
  const binary = (ops: unknown, contentType = "application/json-patch+json") => ({
    resourceType: "Binary",
    contentType,
    data: btoa(JSON.stringify(ops)),
  });
  const transaction = (entry: unknown[]) =>
    t.fhir("/fhir", { method: "POST", json: { resourceType: "Bundle", type: "transaction", entry } });

  it("patches an existing resource, resolving urn:uuid references in the patch, with If-Match", async () => {
    const { id } = await create(t, { resourceType: "Patient", gender: "female" });
    const res = await transaction([
      {
        fullUrl: "urn:uuid:6f1e2d3c-0000-4000-8000-000000000001",
        resource: { resourceType: "Organization", name: "Trust" },
        request: { method: "POST", url: "Organization" },
      },
      {
        resource: binary([
          {
            op: "add",
            path: "/managingOrganization",
            value: { reference: "urn:uuid:6f1e2d3c-0000-4000-8000-000000000001" },
          },
        ]),
        request: { method: "PATCH", url: `Patient/${id}`, ifMatch: 'W/"1"' },
      },
    ]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { entry: { response: { status: string }; resource: Res }[] };
    const orgId = body.entry[0]?.resource.id;
    expect(body.entry[1]?.response.status).toBe("200 OK");
    expect(body.entry[1]?.resource).toMatchObject({
      id,
      gender: "female",
      managingOrganization: { reference: `Organization/${orgId}` },
      meta: { versionId: "2" },
    });
  });

  it("writes nothing when a patch entry fails, and names the entry and operation", async () => {
    const { id } = await create(t, { resourceType: "Patient", gender: "female" });
    const before = (await (await t.fhir("/fhir/Organization/_history")).json()) as HistoryBundle;
    const failing = await transaction([
      { resource: { resourceType: "Organization", name: "Never" }, request: { method: "POST", url: "Organization" } },
      {
        resource: binary([{ op: "test", path: "/gender", value: "male" }]),
        request: { method: "PATCH", url: `Patient/${id}` },
      },
    ]);
    expect(failing.status).toBe(422);
    expect((await outcome(failing))[0]?.diagnostics).toMatch(/^Bundle\.entry\[1\]: JSON Patch operation 0/);
    const after = (await (await t.fhir("/fhir/Organization/_history")).json()) as HistoryBundle;
    expect(after.total).toBe(before.total);

    const wrongType = await transaction([
      { resource: binary([], "application/fhir+json"), request: { method: "PATCH", url: `Patient/${id}` } },
    ]);
    expect(wrongType.status).toBe(400);
    expect((await outcome(wrongType))[0]?.expression).toEqual(["Bundle.entry[0].resource.contentType"]);
    const missing = await transaction([
      {
        resource: binary([{ op: "add", path: "/active", value: true }]),
        request: { method: "PATCH", url: "Patient/nobody" },
      },
    ]);
    expect(missing.status).toBe(404);
  });
});

describe("type and system history", () => {
  let t: TestApp;
  const get = async (path: string) => {
    const res = await t.fhir(path);
    expect(res.status).toBe(200);
    return (await res.json()) as HistoryBundle;
  };
  const relative = (url: string) => url.replace(/^https?:\/\/[^/]+/, "");
  const next = (b: HistoryBundle) => b.link.find((l) => l.relation === "next")?.url;

  beforeAll(async () => {
    t = await fresh(tickingClock());
  });

  it("lists a type's versions newest first, pages by cursor without repeats while writes land, shows deletes", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create(t, { resourceType: "Organization", name: `Org ${i}` })).id);
    await create(t, { resourceType: "Patient" });
    await t.fhir(`/fhir/Organization/${ids[1]}`, {
      method: "PUT",
      json: { resourceType: "Organization", id: ids[1], name: "Org 1 renamed" },
    });
    await t.fhir(`/fhir/Organization/${ids[2]}`, { method: "DELETE" });

    let page = await get("/fhir/Organization/_history?_count=3");
    expect(page).toMatchObject({ resourceType: "Bundle", type: "history", total: 7 });
    const entries = [...(page.entry ?? [])];
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({
      request: { method: "DELETE", url: `Organization/${ids[2]}` },
      response: { status: "204", etag: 'W/"2"' },
    });
    expect(entries[0]?.resource).toBeUndefined();
    expect(entries[1]).toMatchObject({
      request: { method: "PUT", url: `Organization/${ids[1]}` },
      resource: { name: "Org 1 renamed" },
    });
    // Writes between pages never reappear on later pages, and the total stays that of the first page.
    await create(t, { resourceType: "Organization", name: "Late" });
    let url = next(page);
    while (url) {
      page = await get(relative(url));
      expect(page.total).toBe(7);
      entries.push(...(page.entry ?? []));
      url = next(page);
    }
    expect(entries.map((e) => `${e.request.method} ${e.fullUrl.split("/").pop()}`)).toEqual([
      `DELETE ${ids[2]}`,
      `PUT ${ids[1]}`,
      ...[4, 3, 2, 1, 0].map((i) => `POST ${ids[i]}`),
    ]);
    expect(entries.every((e) => e.fullUrl.startsWith("http://gw.test/fhir/Organization/"))).toBe(true);
    const times = entries.map((e) => e.response.lastModified);
    expect([...times].sort().reverse()).toEqual(times);
    expect((await get("/fhir/Organization/_history")).total).toBe(8);
  });

  it("lists every type in system history, with _since and an empty page that has no entry", async () => {
    const before = await get("/fhir/_history?_count=500");
    const org = await create(t, { resourceType: "Organization", name: "Since" });
    const pat = await create(t, { resourceType: "Patient", gender: "male" });
    const all = await get("/fhir/_history?_count=500");
    expect(all.total).toBe(before.total + 2);
    expect(all.entry?.slice(0, 2).map((e) => e.resource?.id)).toEqual([pat.id, org.id]);
    expect(new Set(all.entry?.map((e) => e.resource?.resourceType ?? e.request.url.split("/")[0]))).toEqual(
      new Set(["Organization", "Patient"]),
    );

    const since = (org as unknown as { meta: { lastUpdated: string } }).meta.lastUpdated;
    const recent = await get(`/fhir/_history?_since=${encodeURIComponent(since)}`);
    expect(recent.entry?.map((e) => e.resource?.id)).toEqual([pat.id, org.id]);
    expect(recent.link.find((l) => l.relation === "self")?.url).toContain("_since=");

    const empty = await get("/fhir/_history?_since=2999-01-01T00:00:00Z");
    expect(empty.total).toBe(0);
    expect("entry" in empty).toBe(false);
    expect(next(empty)).toBeUndefined();
  });

  it("answers _at with the versions current at that time", async () => {
    const o = await create(t, { resourceType: "Organization", name: "At v1" });
    const v1 = (o as unknown as { meta: { lastUpdated: string } }).meta.lastUpdated;
    await t.fhir(`/fhir/Organization/${o.id}`, {
      method: "PUT",
      json: { resourceType: "Organization", id: o.id, name: "At v2" },
    });
    const at = await get(`/fhir/Organization/_history?_since=${encodeURIComponent(v1)}&_at=${encodeURIComponent(v1)}`);
    expect(at.entry?.map((e) => e.resource?.name)).toEqual(["At v1"]);
  });

  it("refuses a malformed _since, _count or _cursor with 400", async () => {
    for (const q of ["_since=yesterday", "_count=-1", "_cursor=not-a-cursor", "_at=2026-13-01"]) {
      const res = await t.fhir(`/fhir/_history?${q}`);
      expect(res.status).toBe(400);
      expect((await outcome(res))[0]?.expression?.[0]).toBe(q.split("=")[0]);
    }
  });
});
