/** POST /ingest/{source}: stream a source file through mapping into the store and return the ingest report. */
import { Hono, type MiddlewareHandler } from "hono";
import { badRequest, forbidden, notFound, unsupportedMediaType } from "../fhir/errors.js";
import { type IngestDeps, ingest } from "../ingest/ingest-service.js";
import { type IngestInput, SOURCES } from "../ingest/sources.js";
import type { ByteSource } from "../mapping/parsers/csv.js";
import type { AppEnv } from "./context.js";

/**
 * Roles that may ingest: `system` (an EPR integration or data feed) and `manager` (a data manager
 * uploading their own organisation's return by hand, as NDTMS and CIN returns often are). Practitioners,
 * safeguarding leads and analysts read; they do not load other systems' records.
 */
export const INGEST_ROLES: readonly string[] = ["system", "manager"];

/**
 * The ingest router. Query `mode=all-or-nothing` stores nothing unless every record is good;
 * `records=rejected` lists only rejected records in the report (counts and coverage stay complete),
 * which keeps the report, and memory, small for big files.
 * 200 with the report when the whole file was read; 422 when a fatal problem stopped reading
 * (records before it are in the report and, in per-record mode, stored).
 */
export function ingestRoutes(deps: IngestDeps, auth: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
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
    const body = c.req.raw.body;
    if (!body) throw badRequest("The request has no body");
    const input: IngestInput =
      mediaType === "multipart/form-data"
        ? { kind: "tables", tables: await formTables(c.req.raw) }
        : { kind: "stream", body, mediaType };
    const sender = { org: actor.org, subject: actor.subject, issuer: actor.issuer, tokenId: actor.tokenId };
    const report = await ingest(deps, def.mapping(), def.read(input), {
      mode,
      retain: records,
      sender,
      ownerField: def.ownerField,
    });
    c.get("logger")?.info(
      { source: def.name, mode, counts: report.counts, fatal: report.fatal !== undefined },
      "ingest finished",
    );
    return c.json(report, report.fatal ? 422 : 200);
  });
  return app;
}

/** The parts of a multipart body as named tables (the file name, else the field name). */
async function formTables(request: Request): Promise<Record<string, ByteSource>> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw badRequest("The multipart body could not be read");
  }
  const tables: Record<string, ByteSource> = {};
  for (const [field, value] of form.entries()) {
    if (typeof value === "string") {
      tables[field] = (async function* () {
        yield value;
      })();
    } else {
      tables[value.name || field] = value.stream();
    }
  }
  return tables;
}
