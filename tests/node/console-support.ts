// Console test support: the real app over SQLite with the console's development sign-in on and a synthetic population
// ingested through POST /ingest; a cookie jar for app.request; sign-in helpers that go through the console's forms.
import { expect } from "vitest";
import { buildApp } from "../../src/app.js";
import { createTokenVerifier } from "../../src/auth/token-verifier.js";
import { parseConfig } from "../../src/config.js";
import type { ConsoleReturns } from "../../src/console/returns-page.js";
import { DEV_ISSUER } from "../../src/console/routes.js";
import type { IngestReport } from "../../src/ingest/report.js";
import { type Logger, silentLogger } from "../../src/log/logger.js";
import { readConsoleAssets } from "../../src/runtime/console-assets.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { generate } from "../../src/synth/generate.js";
import { createTestIssuer, type TestIssuer } from "../support/tokens.js";

/** The instant the tests run at (the synthetic population's reference period). */
export const TODAY = new Date("2026-04-15T10:00:00.000Z");

/** An app with the console, its store, and an issuer whose `iss` is the development issuer's (as console sessions). */
export interface ConsoleTestApp {
  app: ReturnType<typeof buildApp>;
  store: Store;
  /** Signs API tokens with `iss` = the development issuer, so their audit rows match console sessions'. */
  dev: TestIssuer;
}

/** Builds the app; `households` synthetic households are ingested (0: none). */
export async function consoleApp(
  options: {
    /** fetch for the console's OpenID Connect client (an in-process issuer). */
    fetch?: typeof fetch;
    /** The returns jobs as the console's returns page uses them. */
    returns?: ConsoleReturns;
    households?: number;
    seed?: string;
    logger?: Logger;
    devSignIn?: boolean;
    env?: Record<string, string>;
  } = {},
): Promise<ConsoleTestApp> {
  const store = await openSqliteStore(":memory:", loadMigrations());
  const dev = await createTestIssuer(DEV_ISSUER);
  const config = parseConfig({
    TFG_ALLOWED_HOSTS: "gw.test,localhost,127.0.0.1",
    TFG_INGEST_SUBMITTERS: '{"RX4":["RXE","RXG","RX3","RXA","RXT"]}',
    ...options.env,
  });
  config.issuers.push({ issuer: dev.issuer, audience: dev.audience, jwks: { keys: [dev.publicJwk] } });
  config.console.devSignIn = options.devSignIn ?? true;
  const assets = readConsoleAssets();
  const app = buildApp({
    store,
    logger: options.logger ?? silentLogger,
    config,
    verifyToken: createTokenVerifier(config),
    clock: () => TODAY,
    ...(assets ? { consoleAssets: assets } : {}),
    ...(options.fetch ? { consoleFetch: options.fetch } : {}),
    ...(options.returns ? { consoleReturns: options.returns } : {}),
  });
  const t = { app, store, dev };
  const { households = 60, seed = "console" } = options;
  if (households > 0) {
    for (const f of generate({ households, seed }).files) {
      if (f.path === "cpa/cpa.json") await send(t, "cpa", f.content, "application/json", "RX4", "mh-trust");
      else if (f.path.startsWith("ndtms/"))
        await send(t, "ndtms", f.content, "text/csv", f.path.slice(6, 11), "drug-alcohol-service");
      else if (f.path.startsWith("cin/"))
        await send(t, "cin", f.content, "application/xml", f.path.slice(4, 7), "la-childrens-services");
      else if (f.path.startsWith("ssd/"))
        await send(t, "ssd", f.content, "application/json", f.path.slice(4, 7), "la-childrens-services");
    }
  }
  return t;
}

async function send(t: ConsoleTestApp, source: string, body: string, type: string, org: string, orgType: string) {
  const token = await t.dev.sign({
    sub: `feed-${org}`,
    org,
    org_type: orgType,
    role: "system",
    purpose_of_use: "direct-care",
  });
  const res = await t.app.request(`http://gw.test/ingest/${source}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": type },
    body,
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as IngestReport).counts.rejected).toBe(0);
}

/** A browser-like client for app.request: keeps cookies (by name), follows nothing. */
export class Client {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly app: ConsoleTestApp["app"],
    readonly origin = "http://gw.test",
  ) {}

  /** Sends a request with the jar's cookies; stores the cookies the answer sets. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set("Cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await this.app.request(`${this.origin}${path}`, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (value === "" || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** POSTs a form (urlencoded). */
  post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** The `_csrf` value of the first form on the page at `path`. */
  async csrf(path: string): Promise<string> {
    const html = await (await this.request(path)).text();
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m?.[1]) throw new Error(`no CSRF field on ${path}`);
    return m[1];
  }
}

/** What the development sign-in form takes. */
export interface DevUser {
  subject: string;
  org: string;
  orgType: string;
  role: string;
  purpose: string;
}

/** Signs `client` in through the development form; resolves with the answer to the POST. */
export async function devSignIn(client: Client, user: DevUser): Promise<Response> {
  const csrf = await client.csrf("/console/sign-in");
  return client.post("/console/sign-in/development", { _csrf: csrf, ...user });
}

type Json = Record<string, unknown>;

/** Every AuditEvent's id (the app's clock is fixed, so new entries are told apart by id, not time). */
export async function auditIds(store: Store): Promise<Set<string>> {
  const page = await store.search({ resourceType: "AuditEvent", criteria: [], count: 10_000, sort: "id" });
  return new Set(page.versions.map((v) => v.id));
}

/**
 * The AuditEvents not in `before`, without what differs between two identical reads (id, meta, token id), sorted
 * by their text so two runs of the same reads compare equal.
 */
export async function auditRowsSince(store: Store, before: Set<string>): Promise<Json[]> {
  const page = await store.search({ resourceType: "AuditEvent", criteria: [], count: 10_000, sort: "id" });
  return page.versions
    .filter((v) => !before.has(v.id))
    .map((v) => {
      const { id: _id, meta: _meta, agent, ...rest } = v.resource as Json;
      return { ...rest, agent: (agent as Json[]).map(({ policy: _policy, ...a }) => a) };
    })
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
