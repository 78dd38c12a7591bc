// Drives the running Node server (real HTTP, SQLite file store, development issuer) with real FHIR client libraries:
// fhir-kit-client, and fhirclient (the SMART JS client) the way a Node SMART app runs it, inside an HTTP handler.
import { mkdtempSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "fhir-kit-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { mintDevToken } from "../../src/runtime/dev-issuer.js";
import { type RunningServer, startNodeServer } from "../../src/runtime/node.js";

/** The part of fhirclient's Node entry this test uses. Loaded untyped: its typings pull the DOM lib into the project. */
type SmartNode = (
  req: IncomingMessage,
  res: ServerResponse,
) => {
  client(state: { serverUrl: string; tokenResponse: { access_token: string } }): {
    patch(url: string, ops: unknown[], options?: { headers?: Record<string, string> }): Promise<unknown>;
  };
};
const smart = createRequire(import.meta.url)("fhirclient") as SmartNode;

let server: RunningServer;
let client: Client;
let dataDir: string;
let token: string;

type Res = { resourceType: string; id: string; meta: { versionId: string }; gender?: string };
type SearchBundle = { total: number; entry?: { resource: Res }[]; link: { relation: string; url: string }[] };

const status = async (p: Promise<unknown>) => {
  try {
    await p;
    return 200;
  } catch (err) {
    return (err as { response?: { status: number } }).response?.status ?? -1;
  }
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tfg-node-"));
  server = await startNodeServer({
    env: { TFG_DATA_DIR: dataDir, TFG_PORT: "0", TFG_HOST: "127.0.0.1" },
    devIssuer: true,
    logger: silentLogger,
  });
  token = await mintDevToken(dataDir, {
    sub: "fkc",
    org: "RX4",
    org_type: "mh-trust",
    role: "system",
    purpose_of_use: "direct-care",
  });
  client = new Client({ baseUrl: `${server.url}/fhir`, bearerToken: token });
});
afterAll(async () => {
  await server?.close();
});

describe("a FHIR client against the running Node server", () => {
  it("reads the CapabilityStatement", async () => {
    const cs = (await client.capabilityStatement()) as unknown as { fhirVersion: string };
    expect(cs.fhirVersion).toBe("4.0.1");
  });

  it("creates, reads, updates with If-Match and gets 412 for a stale If-Match", async () => {
    const created = (await client.create({
      resourceType: "Patient",
      body: { resourceType: "Patient", gender: "female" },
    })) as Res;
    expect(created.meta.versionId).toBe("1");
    const read = (await client.read({ resourceType: "Patient", id: created.id })) as Res;
    expect(read).toEqual(created);
    const updated = (await client.update({
      resourceType: "Patient",
      id: created.id,
      body: { ...read, gender: "male" },
      options: { headers: { "If-Match": 'W/"1"' } },
    })) as Res;
    expect(updated.meta.versionId).toBe("2");
    const stale = client.update({
      resourceType: "Patient",
      id: created.id,
      body: { ...read, gender: "other" },
      options: { headers: { "If-Match": 'W/"1"' } },
    });
    expect(await status(stale)).toBe(412);
    expect(((await client.read({ resourceType: "Patient", id: created.id })) as Res).gender).toBe("male");
  });

  it("searches and follows next links through every page", async () => {
    const tag = `fkc-${Date.now()}`;
    for (let i = 0; i < 7; i++) {
      await client.create({
        resourceType: "Patient",
        body: { resourceType: "Patient", identifier: [{ system: "urn:test", value: tag }] },
      });
    }
    let bundle = (await client.search({
      resourceType: "Patient",
      searchParams: { identifier: `urn:test|${tag}`, _count: 3 },
    })) as unknown as SearchBundle;
    expect(bundle.total).toBe(7);
    const ids = bundle.entry?.map((e) => e.resource.id) ?? [];
    let pages = 1;
    for (;;) {
      const next = client.nextPage({ bundle: bundle as never });
      if (!next) break;
      bundle = (await next) as unknown as SearchBundle;
      ids.push(...(bundle.entry?.map((e) => e.resource.id) ?? []));
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(7);
  });

  it("runs a transaction", async () => {
    const res = (await client.transaction({
      body: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          {
            fullUrl: "urn:uuid:0d3a6c1e-1111-4222-8333-944455556666",
            resource: { resourceType: "Patient" },
            request: { method: "POST", url: "Patient" },
          },
          {
            resource: {
              resourceType: "EpisodeOfCare",
              status: "active",
              patient: { reference: "urn:uuid:0d3a6c1e-1111-4222-8333-944455556666" },
            },
            request: { method: "POST", url: "EpisodeOfCare" },
          },
        ],
      } as never,
    })) as unknown as {
      type: string;
      entry: { response: { status: string }; resource: { id: string; patient?: { reference: string } } }[];
    };
    expect(res.type).toBe("transaction-response");
    const pid = res.entry[0]?.resource.id;
    expect(res.entry[1]?.resource.patient?.reference).toBe(`Patient/${pid}`);
    const episodes = (await client.search({
      resourceType: "EpisodeOfCare",
      searchParams: { patient: pid as string },
    })) as unknown as SearchBundle;
    expect(episodes.total).toBe(1);
  });

  it("gets 401 without a token", async () => {
    const anonymous = new Client({ baseUrl: `${server.url}/fhir` });
    expect(await status(anonymous.read({ resourceType: "Patient", id: "x" }))).toBe(401);
  });

  it("patches with JSON Patch and If-Match: 412 when stale", async () => {
    const created = (await client.create({
      resourceType: "Patient",
      body: { resourceType: "Patient", gender: "female" },
    })) as Res;
    const patched = (await client.patch({
      resourceType: "Patient",
      id: created.id,
      jsonPatch: [
        { op: "test", path: "/gender", value: "female" },
        { op: "replace", path: "/gender", value: "male" },
      ],
      options: { headers: { "If-Match": 'W/"1"' } },
    })) as Res;
    expect(patched).toMatchObject({ id: created.id, gender: "male", meta: { versionId: "2" } });
    const stale = client.patch({
      resourceType: "Patient",
      id: created.id,
      jsonPatch: [{ op: "replace", path: "/gender", value: "other" }],
      options: { headers: { "If-Match": 'W/"1"' } },
    });
    expect(await status(stale)).toBe(412);
    expect(((await client.read({ resourceType: "Patient", id: created.id })) as Res).gender).toBe("male");
  });

  it("reads type and system history, following next links page by page", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(((await client.create({ resourceType: "Location", body: { resourceType: "Location" } })) as Res).id);
    }
    await client.delete({ resourceType: "Location", id: ids[0] as string });
    type HistoryBundle = {
      type: string;
      total: number;
      entry?: { resource?: Res; request: { method: string; url: string } }[];
      link: { relation: string; url: string }[];
    };
    let bundle = (await client.history({
      resourceType: "Location",
      options: { headers: {} },
    })) as unknown as HistoryBundle;
    expect(bundle).toMatchObject({ type: "history", total: 4 });

    bundle = (await client.request("Location/_history?_count=1")) as unknown as HistoryBundle;
    const methods = bundle.entry?.map((e) => e.request.method) ?? [];
    for (;;) {
      const next = client.nextPage({ bundle: bundle as never });
      if (!next) break;
      bundle = (await next) as unknown as HistoryBundle;
      methods.push(...(bundle.entry?.map((e) => e.request.method) ?? []));
    }
    // Writes in one millisecond are ordered by type and id, so only the multiset of entries is certain here.
    expect(methods.sort()).toEqual(["DELETE", "POST", "POST", "POST"]);

    const system = (await client.history()) as unknown as HistoryBundle;
    expect(system.total).toBeGreaterThanOrEqual(4);
    expect(system.entry?.map((e) => `${e.request.method} ${e.request.url}`)).toContain(`DELETE Location/${ids[0]}`);
  });

  it("patches through fhirclient (the SMART JS client) in a Node SMART app's request handler", async () => {
    const created = (await client.create({
      resourceType: "Patient",
      body: { resourceType: "Patient", gender: "female", active: false },
    })) as Res;
    const fhirBase = `${server.url}/fhir`;
    // A Node SMART app gets its client from the request it is handling; this one patches the patient twice.
    const app = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      const fhir = smart(req, res).client({ serverUrl: fhirBase, tokenResponse: { access_token: token } });
      const results: unknown[] = [];
      for (const ifMatch of ['W/"1"', 'W/"1"']) {
        try {
          results.push(
            await fhir.patch(`Patient/${created.id}`, [{ op: "replace", path: "/active", value: true }], {
              headers: { "If-Match": ifMatch },
            }),
          );
        } catch (err) {
          results.push({ status: (err as { status?: number }).status });
        }
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(results));
    });
    await new Promise<void>((ok) => app.listen(0, "127.0.0.1", ok));
    try {
      const port = (app.address() as AddressInfo).port;
      const [first, second] = (await (await fetch(`http://127.0.0.1:${port}/launch`)).json()) as [
        Res,
        { status: number },
      ];
      expect(first).toMatchObject({ id: created.id, active: true, meta: { versionId: "2" } });
      expect(second.status).toBe(412);
    } finally {
      await new Promise((ok) => app.close(ok));
    }
    expect(((await client.read({ resourceType: "Patient", id: created.id })) as Res & { active: boolean }).active).toBe(
      true,
    );
  });
});
