// Hostile REST input (issue 8, scope 3): deep JSON, too many search parameters or values, huge offsets and malformed
// transaction entries each get a 4xx OperationOutcome saying where, never a 500; a client that disconnects is not a 500.

import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../src/fhir/json-text.js";
import { MAX_PARAMETERS } from "../../src/fhir/search-query.js";
import type { Logger } from "../../src/log/logger.js";
import { mintDevToken } from "../../src/runtime/dev-issuer.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { startNodeServer } from "../../src/runtime/node.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

let t: TestApp;
const errors: unknown[] = [];
const logger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error(obj) {
    errors.push(obj);
  },
  child: () => logger,
};

beforeAll(async () => {
  t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), {}, { logger });
});

const FHIR = { "Content-Type": "application/fhir+json" };
const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

/** Asserts a 4xx OperationOutcome and returns its issues. */
async function refused(res: Response, status = 400) {
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toContain("application/fhir+json");
  const body = (await res.json()) as { resourceType: string; issue: { diagnostics: string; expression?: string[] }[] };
  expect(body.resourceType).toBe("OperationOutcome");
  return body.issue;
}

/** `levels` extensions, each nested in the previous one's `extension`, as JSON text (too deep for JSON.stringify). */
const nestedExtensions = (levels: number) =>
  `${'{"url":"http://example.org/x","extension":['.repeat(levels)}{"url":"http://example.org/x","valueString":"a"}${"]}".repeat(levels)}`;

describe("deeply nested JSON", () => {
  it("50,000 nested extensions in a transaction entry are a 400 naming the depth, and nothing is stored", async () => {
    const body = `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","extension":[${nestedExtensions(50_000)}]}}]}`;
    const before = await t.fhir("/fhir/Patient?_summary=count");
    const issues = await refused(await t.fhir("/fhir", { method: "POST", body, headers: FHIR }));
    expect(issues[0]?.diagnostics).toMatch(`deeper than ${MAX_JSON_DEPTH} levels`);
    const after = await t.fhir("/fhir/Patient?_summary=count");
    expect(((await after.json()) as { total: number }).total).toBe(((await before.json()) as { total: number }).total);
  });

  it("2,000 levels of arrays or objects in a POST body are a 400", async () => {
    for (const inner of ["[".repeat(2000) + "]".repeat(2000), `${'{"a":'.repeat(2000)}1${"}".repeat(2000)}`]) {
      const body = `{"resourceType":"Patient","extension":${inner}}`;
      await refused(await t.fhir("/fhir/Patient", { method: "POST", body, headers: FHIR }));
    }
  });

  it("a PUT, a JSON Patch and a Binary patch in a transaction are bounded the same way", async () => {
    const created = await t.fhir("/fhir/Patient", { method: "POST", json: { resourceType: "Patient" } });
    const { id } = (await created.json()) as { id: string };
    const deep = `{"resourceType":"Patient","id":"${id}","extension":[${nestedExtensions(5000)}]}`;
    await refused(await t.fhir(`/fhir/Patient/${id}`, { method: "PUT", body: deep, headers: FHIR }));
    const patch = `[{"op":"add","path":"/extension","value":[${nestedExtensions(5000)}]}]`;
    await refused(
      await t.fhir(`/fhir/Patient/${id}`, {
        method: "PATCH",
        body: patch,
        headers: { "Content-Type": "application/json-patch+json" },
      }),
    );
    const binary = { resourceType: "Binary", contentType: "application/json-patch+json", data: btoa(patch) };
    const issues = await refused(
      await t.fhir("/fhir", {
        method: "POST",
        json: {
          resourceType: "Bundle",
          type: "transaction",
          entry: [{ request: { method: "PATCH", url: `Patient/${id}` }, resource: binary }],
        },
      }),
    );
    expect(issues[0]?.expression).toEqual(["Bundle.entry[0].resource.data"]);
  });

  it("a body just inside the depth limit is still read", async () => {
    // Patient { extension: [ ext ... ] }: 2 levels above the extensions, 2 per extension.
    const body = `{"resourceType":"Patient","extension":[${nestedExtensions(Math.floor((MAX_JSON_DEPTH - 3) / 2))}]}`;
    const res = await t.fhir("/fhir/Patient", { method: "POST", body, headers: FHIR });
    expect(res.status).toBe(201);
  });
});

describe("search parameters and values", () => {
  it("500 identifier values in one parameter are a 400 naming it", async () => {
    const values = Array.from({ length: 500 }, (_, i) => `99900${String(i).padStart(5, "0")}`).join(",");
    const issues = await refused(await t.fhir(`/fhir/Patient?identifier=${values}`));
    expect(issues[0]?.expression).toEqual(["identifier"]);
  });

  it("500 repeated identifier parameters (by GET or POST _search) are a 400, not an SQL error", async () => {
    const query = Array.from({ length: 500 }, (_, i) => `identifier=${i}`).join("&");
    await refused(await t.fhir(`/fhir/Patient?${query}`));
    await refused(await t.fhir("/fhir/Patient/_search", { method: "POST", body: query, headers: FORM }));
  });

  it("1,000 repeated parameters, each just inside the per-parameter limit, are a 400", async () => {
    const query = Array.from({ length: 1000 }, (_, i) => `identifier=${i},${i + 1}`).join("&");
    const issues = await refused(await t.fhir("/fhir/Patient/_search", { method: "POST", body: query, headers: FORM }));
    expect(issues[0]?.diagnostics).toMatch(`at most ${MAX_PARAMETERS} parameters`);
  });

  it("2 million parameters in a POST _search body are a 400 (the body limit raised so the body is read)", async () => {
    const big = await createTestApp(await openSqliteStore(":memory:", loadMigrations()), {
      TFG_BODY_LIMIT_BYTES: String(64 * 1024 * 1024),
    });
    const body = "a&".repeat(2_000_000);
    const res = await big.fhir("/fhir/Patient/_search", { method: "POST", body, headers: FORM });
    await refused(res);
  });

  it("too many values across parameters (each under its own limit) are a 400", async () => {
    const query = Array.from(
      { length: 20 },
      (_, i) => `identifier=${Array.from({ length: 30 }, (_, j) => i * 30 + j).join(",")}`,
    ).join("&");
    const issues = await refused(await t.fhir(`/fhir/Patient?${query}`));
    expect(issues[0]?.diagnostics).toMatch(/at most \d+ values across all its parameters/);
  });

  it("a search just inside both limits is answered", async () => {
    const query = Array.from({ length: 10 }, (_, i) => `identifier=${i}a,${i}b`).join("&");
    expect((await t.fhir(`/fhir/Patient?${query}`)).status).toBe(200);
  });
});

describe("offsets", () => {
  it("_offset=100000000000000000000 is a 400 on instance history and an ignored parameter on search", async () => {
    const created = await t.fhir("/fhir/Patient", { method: "POST", json: { resourceType: "Patient" } });
    const { id } = (await created.json()) as { id: string };
    const issues = await refused(await t.fhir(`/fhir/Patient/${id}/_history?_offset=100000000000000000000`));
    expect(issues[0]?.expression).toEqual(["_offset"]);
    const search = await t.fhir("/fhir/Patient?_offset=100000000000000000000");
    expect(search.status).toBe(200);
    await refused(
      await t.fhir("/fhir/Patient?_offset=100000000000000000000", { headers: { Prefer: "handling=strict" } }),
    );
    expect((await t.fhir("/fhir/Patient/_history?_offset=100000000000000000000")).status).toBe(200);
  });
});

describe("malformed transaction entries", () => {
  const send = (entry: string) =>
    t.fhir("/fhir", {
      method: "POST",
      body: `{"resourceType":"Bundle","type":"transaction","entry":${entry}}`,
      headers: FHIR,
    });

  it.each([
    ['"x"', "Bundle.entry"],
    ["{}", "Bundle.entry"],
    ["5", "Bundle.entry"],
    ["[null]", "Bundle.entry[0]"],
    ["[1]", "Bundle.entry[0]"],
    ['["x"]', "Bundle.entry[0]"],
    ["[[]]", "Bundle.entry[0]"],
    ["[{}]", "Bundle.entry[0].request"],
    ['[{"request":"x"}]', "Bundle.entry[0].request"],
    [
      '[{"request":{"method":"POST","url":"Patient"},"fullUrl":5,"resource":{"resourceType":"Patient"}}]',
      "Bundle.entry[0].fullUrl",
    ],
    [
      '[{"request":{"method":"POST","url":"Patient","ifMatch":5},"resource":{"resourceType":"Patient"}}]',
      "Bundle.entry[0].request.ifMatch",
    ],
    ['[{"request":{"method":["POST"],"url":"Patient"}}]', "Bundle.entry[0].request.method"],
  ])("entry %s is a 400 at %s", async (entry, at) => {
    const issues = await refused(await send(entry));
    expect(issues[0]?.expression).toEqual([at]);
  });

  it("a Bundle that is not an object, or has no type, is a 400", async () => {
    await refused(await t.fhir("/fhir", { method: "POST", body: "[]", headers: FHIR }));
    await refused(await t.fhir("/fhir", { method: "POST", body: '{"resourceType":"Bundle"}', headers: FHIR }));
  });

  it("logs no unhandled error for any of these", () => {
    expect(errors).toEqual([]);
  });
});

describe("client disconnects", () => {
  it("a client that sends half a body and hangs up is logged as 499, not as a 500 or an error", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tfg-hostile-"));
    const lines: Record<string, unknown>[] = [];
    const capture: Logger = {
      debug: (o) => void lines.push({ level: "debug", ...o }),
      info: (o, msg) => void lines.push({ level: "info", msg, ...o }),
      warn: (o, msg) => void lines.push({ level: "warn", msg, ...o }),
      error: (o, msg) => void lines.push({ level: "error", msg, ...o }),
      child: () => capture,
    };
    const server = await startNodeServer({
      env: { TFG_DATA_DIR: dataDir, TFG_PORT: "0" },
      devIssuer: true,
      logger: capture,
    });
    try {
      const token = await mintDevToken(dataDir, {
        sub: "s",
        org: "RX4",
        org_type: "mh-trust",
        role: "system",
        purpose_of_use: "direct-care",
      });
      const { port } = new URL(server.url);
      await new Promise<void>((done, fail) => {
        const socket = connect(Number(port), "127.0.0.1", () => {
          socket.write(
            `POST /fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/fhir+json\r\nContent-Length: 100000\r\n\r\n{"resourceType":"Pat`,
          );
          setTimeout(() => socket.destroy(), 200);
        });
        socket.on("close", () => done());
        socket.on("error", fail);
      });
      for (let i = 0; i < 100 && !lines.some((l) => l.msg === "request" && l.route === "/fhir/:type"); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const request = lines.find((l) => l.msg === "request" && l.route === "/fhir/:type");
      expect(request?.status).toBe(499);
      expect(lines.filter((l) => l.level === "error")).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
