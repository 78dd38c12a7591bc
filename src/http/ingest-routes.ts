/**
 * POST /ingest/{source}: stream a source file through mapping into the store and return the ingest
 * report. The token, the sender's organisation type and role, the media type and the query are all
 * checked before a byte of the body is read; the body is then read as it is parsed, never buffered
 * whole (multipart excepted), and never past the upload limit.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { badRequest, forbidden, notFound, payloadTooLarge, unsupportedMediaType } from "../fhir/errors.js";
import { type IngestDeps, ingest } from "../ingest/ingest-service.js";
import { type IngestInput, SOURCES } from "../ingest/sources.js";
import type { ByteSource } from "../mapping/parsers/csv.js";
import { SourceReadError } from "../mapping/parsers/text.js";
import { CPA_TABLES } from "../mapping/sources/cpa.js";
import { csvTableName } from "../mapping/sources/csv-tables.js";
import type { AppEnv } from "./context.js";

/**
 * Roles that may ingest: `system` (an EPR integration or data feed) and `manager` (a data manager
 * uploading their own organisation's return by hand, as NDTMS and CIN returns often are). Practitioners,
 * safeguarding leads and analysts read; they do not load other systems' records.
 */
export const INGEST_ROLES: readonly string[] = ["system", "manager"];

/** How an upload is read. */
export interface IngestRouteOptions {
  /** Largest upload in bytes (`TFG_INGEST_LIMIT_BYTES`): reading stops there (413). */
  limitBytes: number;
}

/** What happened while a body was read: bytes pulled, whether it passed the limit, whether it broke off. */
interface UploadState {
  bytes: number;
  exceeded: boolean;
  interrupted: boolean;
}

/**
 * The body as a byte source that is read only as a reader consumes it, stops (and cancels the body)
 * past `limit` bytes with a {@link SourceReadError}, and turns a body that breaks off (a client gone)
 * into one as well, so neither ends as a 500.
 */
export function limitedBody(
  body: ReadableStream<Uint8Array>,
  limit: number,
): { source: ByteSource; state: UploadState } {
  const state: UploadState = { bytes: 0, exceeded: false, interrupted: false };
  async function* read(): AsyncGenerator<Uint8Array> {
    const reader = body.getReader();
    let finished = false;
    try {
      for (;;) {
        let r: Awaited<ReturnType<typeof reader.read>>;
        try {
          r = await reader.read();
        } catch {
          state.interrupted = true;
          finished = true;
          throw new SourceReadError("interrupted");
        }
        if (r.done) {
          finished = true;
          return;
        }
        state.bytes += r.value.byteLength;
        if (state.bytes > limit) {
          state.exceeded = true;
          throw new SourceReadError("too-large", limit);
        }
        yield r.value;
      }
    } finally {
      if (!finished) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }
  return { source: read(), state };
}

/**
 * The ingest router. Query `mode=all-or-nothing` stores nothing unless every record is good;
 * `records=rejected` lists only rejected records in the report (counts and coverage stay complete),
 * which keeps the report, and memory, small for big files.
 * 200 with the report when the whole file was read; 422 when a fatal problem stopped reading, 413 when
 * the upload passed the limit, 400 when it broke off (records before the problem are in the report and,
 * in per-record mode, stored).
 */
export function ingestRoutes(
  deps: IngestDeps,
  auth: MiddlewareHandler<AppEnv>,
  options: IngestRouteOptions = { limitBytes: 512 * 1024 * 1024 },
): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  app.use("*", auth);
  app.post("/:source", async (c) => {
    const name = c.req.param("source");
    const def = Object.hasOwn(SOURCES, name) ? SOURCES[name as keyof typeof SOURCES] : undefined;
    if (!def) throw notFound(`No ingest route for source '${name.slice(0, 32)}'`);
    const actor = c.get("actor");
    if (actor.orgType !== def.senderOrgType) {
      throw forbidden(`Only organisations of type ${def.senderOrgType} send ${def.name} records`);
    }
    if (!INGEST_ROLES.includes(actor.role)) {
      throw forbidden(`Only roles ${INGEST_ROLES.join(" and ")} may ingest source files`);
    }
    const mediaType = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (!def.mediaTypes.includes(mediaType)) {
      throw unsupportedMediaType(`Send ${def.name} files as ${def.mediaTypes.join(" or ")}`);
    }
    const mode = c.req.query("mode") ?? "per-record";
    if (mode !== "per-record" && mode !== "all-or-nothing")
      throw badRequest("mode must be per-record or all-or-nothing", ["mode"]);
    const records = c.req.query("records") ?? "all";
    if (records !== "all" && records !== "rejected") throw badRequest("records must be all or rejected", ["records"]);
    const declared = Number(c.req.header("Content-Length") ?? Number.NaN);
    if (declared > options.limitBytes) throw payloadTooLarge(options.limitBytes);
    const body = c.req.raw.body;
    if (!body) throw badRequest("The request has no body");
    const upload = limitedBody(body, options.limitBytes);
    const input: IngestInput =
      mediaType === "multipart/form-data"
        ? {
            kind: "tables",
            tables: await formTables(
              upload.source,
              c.req.header("Content-Type") ?? "",
              upload.state,
              options.limitBytes,
            ),
          }
        : { kind: "stream", body: upload.source, mediaType };
    const sender = { org: actor.org, subject: actor.subject, issuer: actor.issuer, tokenId: actor.tokenId };
    const report = await ingest(deps, def.mapping(), def.read(input), {
      mode,
      retain: records,
      sender,
      ownerField: def.ownerField,
    });
    c.get("logger")?.info(
      {
        source: def.name,
        mode,
        counts: report.counts,
        fatal: report.fatal !== undefined,
        ...(upload.state.interrupted ? { interrupted: true } : {}),
      },
      "ingest finished",
    );
    const status = upload.state.exceeded ? 413 : upload.state.interrupted ? 400 : report.fatal ? 422 : 200;
    return c.json(report, status);
  });
  return app;
}

/** A byte source as a Web stream (for FormData parsing), cancelled with it. */
function toStream(source: ByteSource): ReadableStream<Uint8Array> {
  if (!(Symbol.asyncIterator in source)) return source as ReadableStream<Uint8Array>;
  const it = (source as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await it.next();
      if (r.done) controller.close();
      else controller.enqueue(typeof r.value === "string" ? encoder.encode(r.value) : r.value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}

/**
 * The parts of a multipart body as named CPA tables (the file name without any folder path, else the
 * field name). Two parts for one table are refused (400): which one to read would be a guess.
 */
async function formTables(
  source: ByteSource,
  contentType: string,
  state: UploadState,
  limit: number,
): Promise<Record<string, ByteSource>> {
  let form: FormData;
  try {
    form = await new Response(toStream(source), { headers: { "Content-Type": contentType } }).formData();
  } catch {
    if (state.exceeded) throw payloadTooLarge(limit);
    throw badRequest("The multipart body could not be read");
  }
  const tables: Record<string, ByteSource> = {};
  const seen = new Set<string>();
  for (const [field, value] of form.entries()) {
    const name = typeof value === "string" ? field : value.name || field;
    const table = csvTableName(name);
    if (seen.has(table)) {
      const which = Object.hasOwn(CPA_TABLES, table) ? `table ${table}` : "one table";
      throw badRequest(`The upload has two parts for ${which}; send each table once`);
    }
    seen.add(table);
    tables[`${table}.csv`] =
      typeof value === "string"
        ? (async function* () {
            yield value;
          })()
        : value.stream();
  }
  return tables;
}
