/**
 * The ingest page (data managers, systems): upload a source file, watch its progress, then read the ingest report:
 * counts, any problem that stopped reading, and every rejected record with its location and reasons. The same checks
 * (sender's organisation type, role, media type) and the same `ingest` service as `POST /ingest/{source}`; the
 * report keeps only rejected records (`records=rejected`), as the API can. The answer is streamed: the page, then a
 * progress line every {@link PROGRESS_EVERY} records as they are read, then the report (no script needed).
 */
import type { Hono } from "hono";
import { raw } from "hono/html";
import { badRequest, forbidden } from "../fhir/errors.js";
import { INGEST_ROLES } from "../http/ingest-routes.js";
import { ingest } from "../ingest/ingest-service.js";
import type { IngestReport } from "../ingest/report.js";
import { type IngestInput, SOURCES } from "../ingest/sources.js";
import { csvTableName } from "../mapping/sources/csv-tables.js";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { CsrfField, type FieldError, FieldMessage, Layout, SummaryList } from "./layout.js";
import type { ConsoleSession } from "./session.js";

/** Records between two progress lines of the streamed page. */
export const PROGRESS_EVERY = 500;

/** Where the streamed part (progress, then the report) goes in the page. */
const STREAM_MARK = "<!--tfg-ingest-stream-->";

const progressLine = (records: number, rejected: number, done = false) =>
  `<p class="nhsuk-body-s">${done ? "Finished: " : ""}${records.toLocaleString("en-GB")} record${records === 1 ? "" : "s"} read, ${rejected.toLocaleString("en-GB")} rejected${done ? "." : " so far…"}</p>`;

const MEDIA: Record<string, string> = {
  csv: "text/csv",
  xml: "application/xml",
  json: "application/json",
  ndjson: "application/x-ndjson",
};

async function* textOf(file: File): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) return;
    yield r.value;
  }
}

/** The ingest input the uploaded files make for `source`, or a field error. */
export function inputOf(source: string, files: File[]): IngestInput | FieldError {
  const def = SOURCES[source as keyof typeof SOURCES];
  if (!def) return { field: "source", message: "Select a source" };
  if (files.length === 0) return { field: "file", message: "Select a file to upload" };
  const ext = (f: File) => f.name.split(".").pop()?.toLowerCase() ?? "";
  const tables = def.mediaTypes.includes("multipart/form-data");
  if (tables && files.every((f) => ext(f) === "csv")) {
    const out: Record<string, AsyncIterable<Uint8Array>> = {};
    for (const f of files) {
      const name = csvTableName(f.name);
      if (`${name}.csv` in out) return { field: "file", message: "Upload each table once" };
      out[`${name}.csv`] = textOf(f);
    }
    return { kind: "tables", tables: out };
  }
  if (files.length > 1) return { field: "file", message: `A ${def.name} upload is one file, or CSV tables` };
  const file = files[0] as File;
  const mediaType = MEDIA[ext(file)];
  if (!mediaType || !def.mediaTypes.includes(mediaType))
    return { field: "file", message: `Upload ${def.name} as ${def.mediaTypes.join(" or ")}` };
  return { kind: "stream", body: textOf(file), mediaType };
}

function Report(props: { report: IngestReport }) {
  const { report } = props;
  const rejected = report.records.filter((r) => r.outcome === "rejected");
  const counts: [string, number][] = [
    ["Records read", report.counts.records],
    ["Created", report.counts.created],
    ["Updated", report.counts.updated],
    ["Unchanged", report.counts.unchanged],
    ["Rejected", report.counts.rejected],
    ["Resources written", report.counts.resourcesWritten],
  ];
  return (
    <section aria-labelledby="report-heading">
      <h2 class="nhsuk-heading-m" id="report-heading">
        Ingest report: {report.source} ({report.mode})
      </h2>
      {report.fatal ? (
        <div class="nhsuk-warning-callout">
          <h3 class="nhsuk-warning-callout__label">
            <span>
              <span class="nhsuk-u-visually-hidden">Important: </span>Reading stopped
            </span>
          </h3>
          <p>{report.fatal.issue.map((i) => i.diagnostics).join("; ")}</p>
        </div>
      ) : null}
      <SummaryList rows={counts} />
      {rejected.length > 0 ? (
        <table class="nhsuk-table">
          <caption class="nhsuk-table__caption">Rejected records</caption>
          <thead class="nhsuk-table__head">
            <tr class="nhsuk-table__row">
              <th scope="col" class="nhsuk-table__header">
                Record
              </th>
              <th scope="col" class="nhsuk-table__header">
                Where
              </th>
              <th scope="col" class="nhsuk-table__header">
                Why
              </th>
            </tr>
          </thead>
          <tbody class="nhsuk-table__body">
            {rejected.map((r) => (
              <tr class="nhsuk-table__row">
                <td class="nhsuk-table__cell">
                  {r.label}
                  {r.key ? ` (${r.key})` : ""}
                </td>
                <td class="nhsuk-table__cell">
                  {(r.issues?.issue ?? []).flatMap((i) => i.expression ?? i.location ?? []).join(", ") || "—"}
                </td>
                <td class="nhsuk-table__cell">{(r.issues?.issue ?? []).map((i) => i.diagnostics).join("; ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>No record was rejected.</p>
      )}
    </section>
  );
}

/** The page. */
export function IngestPage(props: {
  session: ConsoleSession;
  errors: FieldError[];
  report?: IngestReport;
  source?: string;
  /** Leaves the place of the report for the streamed progress and report. */
  streaming?: boolean;
}) {
  const sources = Object.values(SOURCES).filter((d) => d !== undefined);
  const bad = (f: string) => props.errors.some((e) => e.field === f);
  return (
    <Layout title="Ingest" session={props.session} section="ingest" errors={props.errors}>
      <h1 class="nhsuk-heading-l">Ingest a source file</h1>
      <form method="post" action="/console/ingest" enctype="multipart/form-data" novalidate>
        <CsrfField token={props.session.csrf} />
        <div class={`nhsuk-form-group${bad("source") ? " nhsuk-form-group--error" : ""}`}>
          <label class="nhsuk-label" for="source">
            Source
          </label>
          <FieldMessage errors={props.errors} field="source" />
          <select class="nhsuk-select" id="source" name="source">
            {sources.map((d) => (
              <option value={d.name} selected={d.name === props.source}>
                {d.name} (sent by {d.senderOrgType};{" "}
                {d.mediaTypes.filter((m) => m !== "multipart/form-data").join(", ")}
                {d.mediaTypes.includes("multipart/form-data") ? ", or CSV tables" : ""})
              </option>
            ))}
          </select>
        </div>
        <div class={`nhsuk-form-group${bad("file") ? " nhsuk-form-group--error" : ""}`}>
          <label class="nhsuk-label" for="file">
            File (or the CSV tables)
          </label>
          <FieldMessage errors={props.errors} field="file" />
          <input class="nhsuk-file-upload" id="file" name="file" type="file" multiple />
        </div>
        <div class="nhsuk-form-group">
          <label class="nhsuk-label" for="mode">
            Mode
          </label>
          <select class="nhsuk-select" id="mode" name="mode">
            <option value="per-record">Per record: store every good record</option>
            <option value="all-or-nothing">All or nothing: store nothing unless every record is good</option>
          </select>
        </div>
        <button class="nhsuk-button" type="submit">
          Upload and ingest
        </button>
      </form>
      {props.streaming ? raw(STREAM_MARK) : props.report ? <Report report={props.report} /> : null}
    </Layout>
  );
}

/** GET and POST /console/ingest. */
export function ingestRoutes(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  app.get("/ingest", (c) => c.html(<IngestPage session={c.get("session")} errors={[]} />));
  app.post("/ingest", async (c) => {
    const session = c.get("session");
    const form = c.get("form");
    const actor = c.get("actor");
    const source = String(form.get("source") ?? "");
    const def = SOURCES[source as keyof typeof SOURCES];
    if (def && actor.orgType !== def.senderOrgType)
      throw forbidden(`Only organisations of type ${def.senderOrgType} send ${def.name} records`);
    if (!INGEST_ROLES.includes(actor.role))
      throw forbidden(`Only roles ${INGEST_ROLES.join(" and ")} may ingest source files`);
    const mode = String(form.get("mode") ?? "per-record");
    if (mode !== "per-record" && mode !== "all-or-nothing")
      throw badRequest("mode must be per-record or all-or-nothing", ["mode"]);
    const files = form.getAll("file").filter((f): f is File => typeof f !== "string" && f.size > 0);
    const input = inputOf(source, files);
    if ("field" in input) return c.html(<IngestPage session={session} errors={[input]} source={source} />, 400);
    const d = def as NonNullable<typeof def>;
    const logger = c.get("logger");
    const page = String(await (<IngestPage session={session} errors={[]} source={source} streaming />).toString());
    const [head = "", tail = ""] = page.split(STREAM_MARK);
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        // A browser that goes away (tab closed) cancels the stream; the ingest still runs to its end, unwatched.
        let open = true;
        const write = (text: string) => {
          if (!open) return;
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            open = false;
          }
        };
        write(head);
        write(
          '<section aria-labelledby="progress-heading"><h2 class="nhsuk-heading-m" id="progress-heading">Progress</h2>' +
            '<div role="status" aria-live="polite"><p class="nhsuk-body-s">Reading the upload…' +
            (mode === "all-or-nothing"
              ? " In all-or-nothing mode each record's result is known when the whole file has been read."
              : "") +
            "</p>",
        );
        let rejected = 0;
        try {
          const report = await ingest(
            {
              store: deps.store,
              clock: deps.clock,
              ownership: deps.ownership,
              maxResourceBytes: deps.config.bodyLimitBytes,
              ...(deps.validate !== undefined ? { validate: deps.validate } : {}),
            },
            d.mapping(),
            d.read(input),
            {
              mode,
              retain: "rejected",
              sender: { org: actor.org, subject: actor.subject, issuer: actor.issuer, tokenId: actor.tokenId },
              ownerField: d.ownerField,
              onRecord: (result, processed) => {
                if (result.outcome === "rejected") rejected++;
                if (processed % PROGRESS_EVERY === 0) write(progressLine(processed, rejected));
              },
            },
          );
          write(`${progressLine(report.counts.records, report.counts.rejected, true)}</div></section>`);
          write(String(await (<Report report={report} />).toString()));
          logger.info(
            { source: d.name, mode, counts: report.counts, fatal: report.fatal !== undefined, via: "console" },
            "ingest finished",
          );
        } catch (err) {
          // The page is already under way: the failure is told here and logged by its kind only (no value of it).
          write(
            '</div></section><div class="nhsuk-error-summary" role="alert" tabindex="-1">' +
              '<h2 class="nhsuk-error-summary__title">The ingest stopped with an internal error</h2>' +
              '<div class="nhsuk-error-summary__body"><p>Records committed before it are kept (none in all-or-nothing ' +
              "mode). Try again; if it happens again, tell the gateway's operators.</p></div></div>",
          );
          logger.error({ source: d.name, mode, error: (err as Error)?.name, via: "console" }, "ingest failed");
        }
        write(tail);
        try {
          if (open) controller.close();
        } catch {
          // cancelled since the last write: nothing to close
        }
      },
    });
    return c.body(body, 200, { "Content-Type": "text/html; charset=UTF-8", "Cache-Control": "no-store" });
  });
}
