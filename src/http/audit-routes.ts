/**
 * Audit routes (issue 10 scope 7; docs/AUDIT.md): `GET /audit/verify`, and the gate in front of
 * `/fhir/AuditEvent…`: AuditEvents are written by the audit writer, or recorded by a system with a create (every
 * other REST write is a 405), read only by
 * safeguarding leads and systems, and every read of them is itself audited (a permit once the answer is ready, a
 * deny before the 403), so "who looked at who looked" is answerable too.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { auditReadDecision } from "../audit/access.js";
import type { AuditAccess } from "../audit/audit-event.js";
import type { Auditor } from "../audit/auditor.js";
import { assertMayRecordAudit } from "../audit/received.js";
import { describeVerify, parseRecordedHead, verifyAuditLog } from "../audit/verify.js";
import { badRequest, forbidden, methodNotAllowed } from "../fhir/errors.js";
import { parseClientJson } from "../fhir/json-text.js";
import { operationOutcome } from "../fhir/operation-outcome.js";
import type { Store } from "../store/port.js";
import type { AppEnv } from "./context.js";
import { fhirJson } from "./fhir-response.js";
import { requestParams } from "./request-params.js";

/** What the audit routes are built from. */
export interface AuditRouteDeps {
  store: Store;
  auditor: Auditor;
}

/**
 * `GET /audit/verify[?head=SEQ:HASH][&from=SEQ:HASH]`: 200 `{ ok, count, head }` when intact; 409 OperationOutcome
 * naming the first broken entry. `head` is one recorded earlier, which also catches a cut tail or a rebuilt chain;
 * `from` verifies only the entries after that trusted head.
 */
export function auditRoutes(deps: AuditRouteDeps, auth: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", auth);
  app.get("/verify", async (c) => {
    const actor = c.get("actor");
    const decision = auditReadDecision(actor);
    const access: AuditAccess = { interaction: "operation", operation: "audit-verify", resourceType: "AuditEvent" };
    if (decision.effect === "deny") {
      await deps.auditor.record(actor, access, decision);
      throw forbidden("Only a safeguarding lead or a system may verify the audit log");
    }
    const head = (name: "head" | "from") => {
      const given = c.req.query(name);
      const parsed = given === undefined ? undefined : parseRecordedHead(given);
      if (given !== undefined && !parsed) {
        throw badRequest(`${name} must be a recorded head SEQ:HASH (a sequence number, a colon, 64 hex digits)`, [
          name,
        ]);
      }
      return parsed;
    };
    const options = { expectHead: head("head"), from: head("from") };
    const result = await verifyAuditLog(deps.store, options);
    await deps.auditor.record(actor, access, decision);
    if (result.ok) return c.json(result);
    const outcome = operationOutcome([
      {
        severity: "error",
        code: "processing",
        diagnostics: describeVerify(result),
        expression: [`seq ${result.broken.seq}`],
      },
    ]);
    return fhirJson({ ...outcome, broken: result.broken, count: result.count }, 409);
  });
  return app;
}

/** A Patient reference in `value` (`Patient/id`, or a bare id for the `patient` parameter). */
function patientOf(name: string, value: string): string | undefined {
  const v = value.split(",")[0] ?? "";
  if (/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(v)) return v;
  if (name.startsWith("patient") && /^[A-Za-z0-9\-.]{1,64}$/.test(v)) return `Patient/${v}`;
  return undefined;
}

/** The access a `/fhir/AuditEvent…` request asks for: "record" for a create, "write" for any other write. */
function kindOf(c: Context<AppEnv>): { parts: string[]; kind: "read" | "search" | "record" | "write" } | undefined {
  const rest = c.req.path.replace(/^.*?\/AuditEvent/, "").replace(/\/$/, "");
  const parts = rest.split("/").filter(Boolean);
  const method = c.req.method;
  if (parts[0]?.startsWith("$") || parts[0]?.startsWith("%24")) return undefined; // $validate and the unsupported
  if (method === "POST" && parts.length === 1 && parts[0] === "_search") return { parts, kind: "search" };
  if (method === "POST" && parts.length === 0) return { parts, kind: "record" };
  if (method !== "GET" && method !== "HEAD") return { parts, kind: "write" };
  return { parts, kind: parts.length === 0 ? "search" : "read" };
}

/** The access a read or search of `/fhir/AuditEvent…` asks for. */
async function accessOf(c: Context<AppEnv>, parts: string[], search: boolean): Promise<AuditAccess> {
  if (search) {
    const form = c.req.method === "POST" ? await c.req.text() : undefined;
    const query = requestParams(c.req.url, form);
    const named = query.find(([k]) => /^(entity|patient)(:Patient)?$/.test(k));
    const patient = named ? patientOf(named[0], named[1]) : undefined;
    return { interaction: "search", resourceType: "AuditEvent", query, ...(patient ? { patient } : {}) };
  }
  if (parts[0] === "_history") return { interaction: "history", resourceType: "AuditEvent" };
  const resource = `AuditEvent/${parts[0]}`;
  if (parts.length === 1) return { interaction: "read", resourceType: "AuditEvent", resource };
  if (parts.length === 3 && parts[1] === "_history")
    return { interaction: "vread", resourceType: "AuditEvent", resource };
  return { interaction: "history", resourceType: "AuditEvent", resource };
}

/**
 * Middleware for `/fhir/AuditEvent` and `/fhir/AuditEvent/*`, mounted before the FHIR routes: a create by a system
 * goes on to the FHIR routes (recorded in the chain, audit/received.ts), by anyone else 403; 405 for every other
 * write; for reads, authenticates, decides (access.ts), audits, and lets the FHIR routes answer. A permit is
 * recorded once the answer is ready (only for a successful answer) and, if it cannot be recorded, the answer is
 * replaced by a 503: no AuditEvent leaves unaudited.
 */
export function auditEventGate(auditor: Auditor, auth: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const kind = kindOf(c);
    if (kind === undefined) return next();
    return auth(c, async () => {
      if (kind.kind === "write") {
        throw methodNotAllowed(
          "AuditEvents are never changed or deleted; a system records one with POST /fhir/AuditEvent",
        );
      }
      if (kind.kind === "record") {
        assertMayRecordAudit(c.get("actor"));
        return next();
      }
      const access = await accessOf(c, kind.parts, kind.kind === "search");
      const actor = c.get("actor");
      const decision = auditReadDecision(actor);
      if (decision.effect === "deny") {
        await auditor.record(actor, access, decision);
        throw forbidden("Only a safeguarding lead or a system may read the audit trail", ["AuditEvent"]);
      }
      await next();
      if (c.res.status >= 200 && c.res.status < 300) await auditor.record(actor, access, decision);
    });
  };
}

/** `_include`/`_revinclude` values that would bring AuditEvents into another type's searchset. */
const NAMES_AUDIT_EVENT = /^AuditEvent:|:AuditEvent$/;

/** A transaction entry URL that reads AuditEvents (`AuditEvent/…`, `AuditEvent?…`, absolute or relative). */
const AUDIT_EVENT_URL = /(^|\/)AuditEvent([/?]|$)/;

/** Why a request would take AuditEvents out by a side door, or undefined. */
async function sideDoor(c: Context<AppEnv>): Promise<{ what: string; where: string } | undefined> {
  const path = c.req.path;
  if (c.req.method === "POST" && /^\/fhir\/?$/.test(path)) {
    const text = await c.req.text();
    if (!text.includes("AuditEvent")) return undefined;
    let bundle: unknown;
    try {
      bundle = parseClientJson(text);
    } catch {
      return undefined; // the transaction route answers a malformed body
    }
    const entries = (bundle as { entry?: unknown }).entry;
    if (!Array.isArray(entries)) return undefined;
    for (const [i, entry] of entries.entries()) {
      const request = (entry as { request?: { method?: unknown; url?: unknown } } | null)?.request;
      if (String(request?.method).toUpperCase() === "GET" && AUDIT_EVENT_URL.test(String(request?.url))) {
        return { what: "a transaction's GET entries", where: `Bundle.entry[${i}].request.url` };
      }
    }
    return undefined;
  }
  const form = c.req.method === "POST" && /\/_search\/?$/.test(path) ? await c.req.text() : "";
  if (!c.req.url.includes("include") && !form.includes("include")) return undefined;
  for (const [k, v] of [...new URL(c.req.url).searchParams, ...new URLSearchParams(form)]) {
    if (/^_(rev)?include(:|$)/.test(k) && NAMES_AUDIT_EVENT.test(v)) return { what: "other searches", where: k };
  }
  return undefined;
}

/**
 * Middleware for `/fhir/*` other than AuditEvent: a search whose `_include` or `_revinclude` names AuditEvent, or a
 * transaction with a GET entry for AuditEvents, is a 403 (after authentication): AuditEvents are read through
 * `GET /fhir/AuditEvent`, where they are gated and audited.
 */
export const auditSideDoorGuard =
  (auth: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    if (/\/AuditEvent(\/|$)/.test(c.req.path)) return next();
    const door = await sideDoor(c);
    if (!door) return next();
    return auth(c, async () => {
      throw forbidden(`AuditEvents are read through GET /fhir/AuditEvent, not through ${door.what}`, [door.where]);
    });
  };
