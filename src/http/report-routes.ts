/**
 * Report routes under /reports (issue 9 scope 6; docs/REPORTS.md): `GET /reports/worklist`,
 * `GET /reports/completeness` and `GET /reports/completeness/not-recorded`, for the caller's own
 * organisation (token `org`), to managers, safeguarding leads and systems. JSON by default, CSV on
 * `Accept: text/csv` (or `_format=csv`). Each request logs one line with the report and the caller's org.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { Auditor } from "../audit/auditor.js";
import type { Actor } from "../auth/actor.js";
import type { GatewayConfig } from "../config.js";
import { badRequest, GatewayError } from "../fhir/errors.js";
import type { Decision } from "../policy/decision.js";
import type { Policy } from "../policy/policy.js";
import { auditReportRows, authoriseReport, type ReportKind } from "../reports/access.js";
import { COMPLETENESS_COLUMNS, NOT_RECORDED_COLUMNS, WORKLIST_COLUMNS } from "../reports/columns.js";
import { completenessSummary, notRecordedEpisodes } from "../reports/completeness.js";
import { type Column, csvHeader, csvRows } from "../reports/csv.js";
import {
  DEFAULT_COUNT,
  decodeReportCursor,
  encodeReportCursor,
  parseCount,
  type ReportPage,
  takePage,
} from "../reports/paging.js";
import { worklistRows } from "../reports/worklist.js";
import type { SearchCursor, Store } from "../store/port.js";
import type { AppEnv } from "./context.js";
import { publicBase } from "./public-base.js";

/** What the report routes are built from. */
export interface ReportDeps {
  store: Store;
  /** Every report read, permit or deny, is audited before it is answered (src/reports/access.ts). */
  auditor: Auditor;
  /** The sharing protocol that decides who reads which report. */
  policy: Policy;
  clock?: (() => Date) | undefined;
  /** `timeZone`: the IANA zone "today" is taken in (episodes and flags ending before it are closed); link base. */
  config: Pick<GatewayConfig, "timeZone" | "baseUrl" | "allowedHosts">;
}

const CSV_TYPE = "text/csv; charset=utf-8; header=present";
const JSON_TYPE = "application/json; charset=utf-8";

/** The day (`YYYY-MM-DD`) of `now` in `timeZone`. */
export function dayIn(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** CSV when `_format=csv` or Accept prefers text/csv; JSON otherwise; 406 when Accept admits neither. */
function wantsCsv(c: Context, format: string | undefined): boolean {
  if (format !== undefined) {
    const f = format.trim().toLowerCase();
    if (f === "csv" || f === "text/csv") return true;
    if (f === "json" || f === "application/json") return false;
    throw badRequest("_format must be json or csv", ["_format"]);
  }
  const accept = c.req.header("Accept")?.toLowerCase() ?? "";
  if (!accept.trim()) return false;
  const ranges = accept.split(",").map((r) => {
    const [type = "", ...params] = r.split(";").map((p) => p.trim());
    const q = params.find((p) => p.startsWith("q="));
    return { type, q: q === undefined ? 1 : Number(q.slice(2)) || 0 };
  });
  const q = (types: string[]) => Math.max(0, ...ranges.filter((r) => types.includes(r.type)).map((r) => r.q));
  const csv = q(["text/csv"]);
  const json = q(["application/json", "application/fhir+json", "application/*", "*/*"]);
  if (csv === 0 && json === 0) {
    throw new GatewayError(406, "not-acceptable", [
      {
        severity: "error",
        code: "not-supported",
        diagnostics: "Reports are JSON (application/json) or CSV (text/csv)",
        expression: ["Accept"],
      },
    ]);
  }
  return csv > json;
}

/** The query parameters, each at most once and each one the route knows; 400 otherwise. */
function params(c: Context, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new URL(c.req.url).searchParams) {
    if (!allowed.includes(name)) {
      throw badRequest(`Unknown parameter for this report; it takes ${allowed.join(", ")}`, [name.slice(0, 64)]);
    }
    if (name in out) throw badRequest("A parameter may be given once", [name]);
    out[name] = value;
  }
  return out;
}

/** The caller and the permit, once reading `report` is decided and audited (src/reports/access.ts); 403 otherwise. */
async function reader(
  c: Context<AppEnv>,
  deps: ReportDeps,
  report: ReportKind,
): Promise<{ actor: Actor; decision: Decision }> {
  const actor = c.get("actor");
  const decision = await authoriseReport(
    { auditor: deps.auditor, policy: deps.policy, clock: deps.clock ?? (() => new Date()) },
    actor,
    report,
  );
  return { actor, decision };
}

/** The public base of the `/reports` routes (the request's FHIR base, `…/fhir`, with `/reports` instead). */
export const reportsBase = (c: Context<AppEnv>) => c.get("base").replace(/\/fhir$/, "/reports");

/** A paged, person-level report: a JSON page with `next`, or CSV (every row streamed, or one page with `_count`). */
async function pagedReport<T extends { patient: string; episode?: string }>(
  c: Context<AppEnv>,
  deps: ReportDeps,
  kind: "worklist" | "not-recorded",
  path: string,
  columns: readonly Column<T>[],
  stream: (org: string, today: string, after?: SearchCursor) => AsyncIterable<{ cursor: SearchCursor; row?: T }>,
): Promise<Response> {
  const p = params(c, ["_count", "_cursor", "_format"]);
  const csv = wantsCsv(c, p._format);
  const count = parseCount(p._count);
  const after = p._cursor === undefined ? undefined : decodeReportCursor(p._cursor, kind);
  const { actor, decision } = await reader(c, deps, kind);
  const today = dayIn(deps.clock?.() ?? new Date(), deps.config.timeZone ?? "UTC");
  c.get("logger").info({ report: kind, org: actor.org, format: csv ? "csv" : "json" }, "report");
  const steps = stream(actor.org, today, after);
  const link = (next: SearchCursor) => {
    const q = new URLSearchParams({ _cursor: encodeReportCursor(kind, next), _count: String(count ?? DEFAULT_COUNT) });
    if (csv) q.set("_format", "csv");
    return `${reportsBase(c)}${path}?${q}`;
  };
  // Each person listed is audited before their row leaves (reports/access.ts auditReportRows).
  const audit = (rows: readonly T[]) => auditReportRows(deps.auditor, actor, kind, decision, rows);
  if (csv && count === undefined) return streamCsv(columns, steps, audit);
  const page: ReportPage<T> = await takePage(steps, count ?? DEFAULT_COUNT, csv ? Number.POSITIVE_INFINITY : undefined);
  await audit(page.rows);
  const headers: Record<string, string> = page.next ? { Link: `<${link(page.next)}>; rel="next"` } : {};
  if (csv) {
    return new Response(csvHeader(columns) + csvRows(columns, page.rows), {
      headers: { "Content-Type": CSV_TYPE, ...headers },
    });
  }
  const body = {
    report: kind,
    organisation: actor.org,
    asOf: today,
    count: page.rows.length,
    rows: page.rows,
    ...(page.next ? { next: link(page.next) } : {}),
  };
  return new Response(JSON.stringify(body), { headers: { "Content-Type": JSON_TYPE, ...headers } });
}

/**
 * Streams every row as CSV, a batch of rows per chunk, so memory stays flat however long the list; each batch is
 * audited (`audit`) before it is sent.
 */
function streamCsv<T>(
  columns: readonly Column<T>[],
  steps: AsyncIterable<{ row?: T }>,
  audit: (rows: readonly T[]) => Promise<void>,
): Response {
  const encoder = new TextEncoder();
  const iterator = steps[Symbol.asyncIterator]();
  let headerSent = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(csvHeader(columns)));
        return;
      }
      const rows: T[] = [];
      while (rows.length < 100) {
        const step = await iterator.next();
        if (step.done) {
          if (rows.length > 0) {
            await audit(rows);
            controller.enqueue(encoder.encode(csvRows(columns, rows)));
          }
          controller.close();
          return;
        }
        if (step.value.row !== undefined) rows.push(step.value.row);
      }
      await audit(rows);
      controller.enqueue(encoder.encode(csvRows(columns, rows)));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(body, { headers: { "Content-Type": CSV_TYPE } });
}

/** The /reports router. */
export function reportRoutes(deps: ReportDeps, auth: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  app.use("*", publicBase(deps.config.baseUrl, deps.config.allowedHosts), auth);

  app.get("/worklist", (c) =>
    pagedReport(c, deps, "worklist", "/worklist", WORKLIST_COLUMNS, (org, today, after) =>
      worklistRows(deps.store, org, today, after),
    ),
  );

  app.get("/completeness/not-recorded", (c) =>
    pagedReport(c, deps, "not-recorded", "/completeness/not-recorded", NOT_RECORDED_COLUMNS, (org, today, after) =>
      notRecordedEpisodes(deps.store, org, today, after),
    ),
  );

  app.get("/completeness", async (c) => {
    const p = params(c, ["_format"]);
    const csv = wantsCsv(c, p._format);
    const { actor } = await reader(c, deps, "completeness");
    const today = dayIn(deps.clock?.() ?? new Date(), deps.config.timeZone ?? "UTC");
    c.get("logger").info({ report: "completeness", org: actor.org, format: csv ? "csv" : "json" }, "report");
    const summary = await completenessSummary(deps.store, actor.org, today);
    if (csv) {
      return new Response(csvHeader(COMPLETENESS_COLUMNS) + csvRows(COMPLETENESS_COLUMNS, summary.groups), {
        headers: { "Content-Type": CSV_TYPE },
      });
    }
    const body = {
      report: "completeness",
      organisation: actor.org,
      asOf: today,
      ...summary,
      notRecordedList: `${reportsBase(c)}/completeness/not-recorded`,
    };
    return new Response(JSON.stringify(body), { headers: { "Content-Type": JSON_TYPE } });
  });
  return app;
}
