// Return jobs over HTTP (issue 11 scope 3–4): start, progress, files, risk report, and submission to an msw national
// endpoint — signed (the signature verifies with the key at /.well-known/jwks.json) or encrypted to the recipient,
// a 503 then a 200 ending in exactly one receipt, a second submit a no-op — all for purpose statistics only, audited.
import { base64url, compactDecrypt, compactVerify, createLocalJWKSet, exportJWK, generateKeyPair } from "jose";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { JobScheduler } from "../../src/returns/jobs/service.js";
import type { ReturnBuilder } from "../../src/returns/port.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { signingJwk } from "../support/notify-fixtures.js";
import { stubReturn } from "../support/stub-return.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

const ENDPOINT = "https://submit.national.test/ndtms";
const SEALED = "https://submit.national.test/sealed";
const received: { body: Uint8Array; headers: Headers; url: string }[] = [];
/** Statuses the endpoint answers with, in turn (then 200). */
let script: number[] = [];

const server = setupServer(
  ...[ENDPOINT, SEALED].map((url) =>
    http.post(url, async ({ request }) => {
      received.push({ body: new Uint8Array(await request.arrayBuffer()), headers: request.headers, url });
      const status = script.shift() ?? 200;
      return status === 200
        ? HttpResponse.json({ receiptId: `R-${received.length}` }, { status })
        : new HttpResponse("busy", { status });
    }),
  ),
);

const CSV = "CLIENTID,AGNCY,CONSENT\nab12,AG1,Y\n";
/** A stand-in builder: the builders have their own tests; these are about jobs. */
const builder: ReturnBuilder = async (request, ctx) => {
  ctx.onProgress?.(1, 2);
  ctx.onProgress?.(2, 2);
  const key = ctx.keys.keyFor(request.kind);
  if (!key) throw new Error("no key");
  return stubReturn(request.kind, CSV, key.id);
};

/** Runs builds when the test says, so a test sees "queued" first. */
const queued: (() => Promise<unknown>)[] = [];
const manual: JobScheduler = (_id, run) => {
  queued.push(run);
};
const drain = async () => {
  while (queued.length > 0) await (queued.shift() as () => Promise<unknown>)();
};

const DRUG_SERVICE_MANAGER = {
  sub: "manager-1",
  org: "AG1",
  org_type: "drug-alcohol-service",
  role: "manager",
  purpose_of_use: "statistics",
};

let t: TestApp;
let recipient: Awaited<ReturnType<typeof generateKeyPair>>;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "bypass" });
  recipient = await generateKeyPair("ECDH-ES+A256KW", { extractable: true });
  const recipientJwk = { ...(await exportJWK(recipient.publicKey)), kid: "national-2026", alg: "ECDH-ES+A256KW" };
  const secret = (n: number) => base64url.encode(new Uint8Array(32).fill(n));
  t = await createTestApp(
    await openSqliteStore(":memory:", loadMigrations()),
    {
      TFG_SIGNING_JWK: JSON.stringify(await signingJwk("gw-returns-1")),
      TFG_RETURN_KEYS: JSON.stringify({
        ndtms: [{ id: "ndtms-2026", secret: secret(1) }],
        "mh-children": [{ id: "mhc-2026", secret: secret(2) }],
      }),
      TFG_RETURN_ENDPOINTS: JSON.stringify({
        ndtms: { url: ENDPOINT },
        "mh-children": { url: SEALED, encryptTo: recipientJwk },
      }),
      TFG_RETURN_RETRY_MS: "1",
    },
    { returnBuilder: builder, returnScheduler: manual },
  );
});
afterEach(() => {
  received.length = 0;
  script = [];
});
afterAll(() => server.close());

const as = async (claims: Record<string, unknown>) => `Bearer ${await t.issuer.sign(claims)}`;
const call = async (path: string, claims: Record<string, unknown>, init: RequestInit = {}) =>
  t.app.request(`http://gw.test${path}`, {
    ...init,
    headers: { Authorization: await as(claims), "Content-Type": "application/json", ...(init.headers ?? {}) },
  });
const start = (
  kind: string,
  claims: Record<string, unknown>,
  body: unknown = { period: { start: "2026-04-01", end: "2026-06-30" } },
) => call(`/returns/${kind}`, claims, { method: "POST", body: JSON.stringify(body) });

async function auditFor(operation: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let after = 0; ; ) {
    const page = await t.store.readLog("audit", after, 500);
    out.push(...page.map((e) => e.payload).filter((p) => JSON.stringify(p).includes(`"${operation}"`)));
    if (page.length < 500) return out;
    after = page[page.length - 1]?.seq ?? after;
  }
}

describe("return jobs", () => {
  it("starts a build (202, queued), shows progress, then its files and risk report", async () => {
    const res = await start("ndtms", DRUG_SERVICE_MANAGER);
    expect(res.status).toBe(202);
    const job = (await res.json()) as { id: string; status: string; scope: { org?: string }; links: { self: string } };
    expect(job.status).toBe("queued");
    expect(job.scope.org).toBe("AG1");
    expect(res.headers.get("Location")).toBe(job.links.self);
    await drain();
    const done = (await (await call(`/returns/${job.id}`, DRUG_SERVICE_MANAGER)).json()) as {
      status: string;
      progress: { done: number; total?: number };
      files: { name: string; sha256: string; href: string }[];
    };
    expect(done.status).toBe("built");
    expect(done.progress.done).toBeGreaterThanOrEqual(1);
    expect(done.files.map((f) => f.name)).toEqual(["ndtms.csv"]);
    const file = await call(`/returns/${job.id}/file`, DRUG_SERVICE_MANAGER);
    expect(file.status).toBe(200);
    expect(await file.text()).toBe(CSV);
    expect(file.headers.get("Content-Type")).toBe("text/csv");
    const risk = (await (await call(`/returns/${job.id}/risk-report`, DRUG_SERVICE_MANAGER)).json()) as {
      keyId: string;
    };
    expect(risk.keyId).toBe("ndtms-2026");
    const list = (await (await call("/returns", DRUG_SERVICE_MANAGER)).json()) as { jobs: { id: string }[] };
    expect(list.jobs.map((j) => j.id)).toContain(job.id);
    // Every build, status read and download is in the audit log.
    for (const op of ["$return-build", "$return-status", "$return-file", "$return-risk-report"]) {
      expect((await auditFor(op)).length, op).toBeGreaterThan(0);
    }
  });

  it("refuses (403, audited) a purpose other than statistics, a practitioner, and another organisation's scope", async () => {
    const denialsBefore = (await auditFor("$return-build")).length;
    expect((await start("ndtms", { ...DRUG_SERVICE_MANAGER, purpose_of_use: "direct-care" })).status).toBe(403);
    expect((await start("ndtms", { ...DRUG_SERVICE_MANAGER, role: "practitioner" })).status).toBe(403);
    const other = await start("ndtms", DRUG_SERVICE_MANAGER, {
      period: { start: "2026-04-01", end: "2026-06-30" },
      scope: { org: "AG2" },
    });
    expect(other.status).toBe(403);
    expect(((await other.json()) as { resourceType: string }).resourceType).toBe("OperationOutcome");
    // An LA may not build a drug service's extract; a national body may not build an identifiable one.
    expect(
      (await start("ndtms", { ...DRUG_SERVICE_MANAGER, org: "LA1", org_type: "la-childrens-services" })).status,
    ).toBe(403);
    expect((await start("cin-census", { ...DRUG_SERVICE_MANAGER, org: "NB1", org_type: "national-body" })).status).toBe(
      403,
    );
    expect((await auditFor("$return-build")).length).toBe(denialsBefore + 5);
    expect(queued).toHaveLength(0);
  });

  it("shows a job only to the organisation that requested it", async () => {
    const { id } = (await (await start("ndtms", DRUG_SERVICE_MANAGER)).json()) as { id: string };
    await drain();
    const stranger = { ...DRUG_SERVICE_MANAGER, org: "AG9" };
    expect((await call(`/returns/${id}`, stranger)).status).toBe(403);
    expect((await call(`/returns/${id}/file`, stranger)).status).toBe(403);
    expect((await call(`/returns/${id}/$submit`, stranger, { method: "POST" })).status).toBe(403);
    expect((await call("/returns/no-such-job", DRUG_SERVICE_MANAGER)).status).toBe(404);
  });

  it("answers bad requests with an OperationOutcome naming the problem", async () => {
    const bad = await start("ndtms", DRUG_SERVICE_MANAGER, { period: { start: "2026-07-01", end: "2026-06-30" } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("period");
    expect((await start("no-such-kind", DRUG_SERVICE_MANAGER)).status).toBe(404);
    const notJson = await call("/returns/ndtms", DRUG_SERVICE_MANAGER, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
  });

  it("submits signed: a 503 then a 200 end in exactly one receipt, the signature verifies, a second submit is a no-op", async () => {
    const { id } = (await (await start("ndtms", DRUG_SERVICE_MANAGER)).json()) as { id: string };
    await drain();
    script = [503];
    const res = await call(`/returns/${id}/$submit`, DRUG_SERVICE_MANAGER, { method: "POST" });
    expect(res.status).toBe(200);
    const first = (await res.json()) as { alreadySubmitted: boolean; receipt: { receiptId: string; attempts: number } };
    expect(first.alreadySubmitted).toBe(false);
    expect(first.receipt.attempts).toBe(2);
    expect(received).toHaveLength(2);
    expect(received[0]?.headers.get("Idempotency-Key")).toBe(received[1]?.headers.get("Idempotency-Key"));
    const accepted = received[1] as (typeof received)[number];
    expect(new TextDecoder().decode(accepted.body)).toBe(CSV);
    // The detached JWS verifies against the gateway's published keys.
    const jwks = (await (await t.app.request("http://gw.test/.well-known/jwks.json")).json()) as never;
    const [header, , signature] = (accepted.headers.get("X-TFG-Signature") as string).split(".");
    const { payload } = await compactVerify(
      `${header}.${base64url.encode(accepted.body)}.${signature}`,
      createLocalJWKSet(jwks),
    );
    expect(new TextDecoder().decode(payload)).toBe(CSV);

    const again = (await (await call(`/returns/${id}/$submit`, DRUG_SERVICE_MANAGER, { method: "POST" })).json()) as {
      alreadySubmitted: boolean;
      receipt: { receiptId: string };
    };
    expect(again.alreadySubmitted).toBe(true);
    expect(again.receipt.receiptId).toBe(first.receipt.receiptId);
    expect(received).toHaveLength(2);
    const status = (await (await call(`/returns/${id}`, DRUG_SERVICE_MANAGER)).json()) as {
      status: string;
      submission: { receipt?: unknown };
    };
    expect(status.status).toBe("submitted");
    expect(status.submission.receipt).toBeDefined();
    expect((await auditFor("$submit")).length).toBeGreaterThanOrEqual(2);
  });

  it("lets only one of two simultaneous submits send", async () => {
    const { id } = (await (await start("ndtms", DRUG_SERVICE_MANAGER)).json()) as { id: string };
    await drain();
    const [a, b] = await Promise.all([
      call(`/returns/${id}/$submit`, DRUG_SERVICE_MANAGER, { method: "POST" }),
      call(`/returns/${id}/$submit`, DRUG_SERVICE_MANAGER, { method: "POST" }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect(received).toHaveLength(1);
  });

  it("ends a submission the endpoint refuses (4xx) without retrying, and can submit again later", async () => {
    const { id } = (await (await start("ndtms", DRUG_SERVICE_MANAGER)).json()) as { id: string };
    await drain();
    script = [400];
    const refused = await call(`/returns/${id}/$submit`, DRUG_SERVICE_MANAGER, { method: "POST" });
    expect(refused.status).toBe(502);
    expect(received).toHaveLength(1);
    const retried = await call(`/returns/${id}/$submit`, DRUG_SERVICE_MANAGER, { method: "POST" });
    expect(retried.status).toBe(200);
    expect(received).toHaveLength(2);
  });

  it("encrypts to the recipient's key when it publishes one (signed, then sealed)", async () => {
    const trust = { ...DRUG_SERVICE_MANAGER, org: "RX4", org_type: "mh-trust" };
    const { id } = (await (await start("mh-children", trust)).json()) as { id: string };
    await drain();
    const res = await call(`/returns/${id}/$submit`, trust, { method: "POST" });
    expect(res.status).toBe(200);
    const sealed = received[0] as (typeof received)[number];
    expect(sealed.headers.get("Content-Type")).toBe("application/jose");
    const { plaintext, protectedHeader } = await compactDecrypt(
      new TextDecoder().decode(sealed.body),
      recipient.privateKey,
    );
    expect(protectedHeader.kid).toBe("national-2026");
    const jwks = (await (await t.app.request("http://gw.test/.well-known/jwks.json")).json()) as never;
    const { payload } = await compactVerify(new TextDecoder().decode(plaintext), createLocalJWKSet(jwks));
    expect(new TextDecoder().decode(payload)).toBe(CSV);
  });

  it("records a build that fails, without its detail", async () => {
    const noKey = { ...DRUG_SERVICE_MANAGER, org: "LA1", org_type: "la-childrens-services" };
    const res = await start("hidden-harm", noKey, { period: { start: "2025-04-01", end: "2026-03-31" } });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await drain();
    const job = (await (await call(`/returns/${id}`, noKey)).json()) as { status: string; error: { message: string } };
    expect(job.status).toBe("failed");
    expect(job.error.message).toContain("internal error");
    expect((await call(`/returns/${id}/file`, noKey)).status).toBe(404);
  });
});
