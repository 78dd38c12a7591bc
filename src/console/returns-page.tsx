/**
 * The returns page (data managers): start a build of a national return, watch its progress, read its
 * disclosure-risk report, submit it, see the receipt. The returns jobs (src/returns/jobs) were built in parallel, so
 * the page is written against {@link ConsoleReturns}, a small interface an adapter over the jobs implements; without
 * one (`ConsoleDeps.returns`) the page says returns are not connected.
 */
import type { Hono } from "hono";
import type { Actor } from "../auth/actor.js";
import { badRequest, notFound } from "../fhir/errors.js";
import { RETURN_KINDS, type ReturnKind, type ReturnRequest, type RiskReport } from "../returns/port.js";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { CsrfField, type FieldError, FieldMessage, Layout, SummaryList } from "./layout.js";
import type { ConsoleSession } from "./session.js";

/** A return job as the page shows it. */
export interface ReturnJobView {
  id: string;
  kind: ReturnKind;
  state: "queued" | "building" | "built" | "submitting" | "submitted" | "failed";
  /** Records read so far, and in all when known. */
  progress?: { done: number; total?: number };
  risk?: RiskReport;
  files?: { name: string; mediaType: string }[];
  receipt?: { reference: string; at: string };
  /** Why it failed (no identifiable value). */
  error?: string;
}

/** What the page needs of the returns jobs; every call is for `actor`, who the jobs check and record. */
export interface ConsoleReturns {
  start(actor: Actor, request: ReturnRequest): Promise<ReturnJobView>;
  get(actor: Actor, id: string): Promise<ReturnJobView | undefined>;
  submit(actor: Actor, id: string): Promise<ReturnJobView>;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const JOB_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const FINISHED = new Set(["built", "submitted", "failed"]);

function StartForm(props: { session: ConsoleSession; errors: FieldError[]; values: Record<string, string> }) {
  const v = props.values;
  const group = (f: string) =>
    `nhsuk-form-group${props.errors.some((e) => e.field === f) ? " nhsuk-form-group--error" : ""}`;
  return (
    <form method="post" action="/console/returns" novalidate>
      <CsrfField token={props.session.csrf} />
      <div class={group("kind")}>
        <label class="nhsuk-label" for="kind">
          Return
        </label>
        <FieldMessage errors={props.errors} field="kind" />
        <select class="nhsuk-select" id="kind" name="kind">
          {RETURN_KINDS.map((k) => (
            <option value={k} selected={k === v.kind}>
              {k}
            </option>
          ))}
        </select>
      </div>
      {(
        [
          ["start", "Period start", "For example 2025-04-01"],
          ["end", "Period end", "For example 2026-03-31"],
        ] as const
      ).map(([id, label, hint]) => (
        <div class={group(id)}>
          <label class="nhsuk-label" for={id}>
            {label}
          </label>
          <div class="nhsuk-hint" id={`${id}-hint`}>
            {hint}
          </div>
          <FieldMessage errors={props.errors} field={id} />
          <input
            class="nhsuk-input nhsuk-input--width-10"
            id={id}
            name={id}
            type="text"
            aria-describedby={`${id}-hint`}
            value={v[id] ?? ""}
          />
        </div>
      ))}
      <button class="nhsuk-button" type="submit">
        Start building
      </button>
    </form>
  );
}

function JobView(props: { session: ConsoleSession; job: ReturnJobView }) {
  const { job } = props;
  const p = job.progress;
  return (
    <>
      <SummaryList
        rows={
          [
            ["Return", job.kind],
            ["State", job.state],
            ["Progress", p ? `${p.done}${p.total !== undefined ? ` of ${p.total}` : ""} records read` : "Not started"],
            ...(job.receipt ? [["Receipt", `${job.receipt.reference} at ${job.receipt.at}`]] : []),
            ...(job.error ? [["Problem", job.error]] : []),
          ] as [string, string][]
        }
      />
      {FINISHED.has(job.state) ? null : <p role="status">This page refreshes every 3 seconds until the build ends.</p>}
      {job.risk ? (
        <section aria-labelledby="risk-heading">
          <h2 class="nhsuk-heading-m" id="risk-heading">
            Disclosure-risk report
          </h2>
          <SummaryList
            rows={
              [
                ["Rule", job.risk.rule],
                ["Records in / out", `${job.risk.recordsIn} / ${job.risk.recordsOut}`],
                ["k-anonymity", job.risk.k === null ? "not applicable" : String(job.risk.k)],
                ["Smallest cell", job.risk.smallestCell === null ? "none" : String(job.risk.smallestCell)],
                ["Quasi-identifiers", job.risk.quasiIdentifiers.join(", ") || "none"],
                ["Pseudonym key", job.risk.keyId ?? "none"],
              ] as [string, string][]
            }
          />
          {job.risk.suppressed.length > 0 ? (
            <table class="nhsuk-table">
              <caption class="nhsuk-table__caption">{job.risk.suppressed.length} values withheld</caption>
              <thead class="nhsuk-table__head">
                <tr class="nhsuk-table__row">
                  <th scope="col" class="nhsuk-table__header">
                    Where
                  </th>
                  <th scope="col" class="nhsuk-table__header">
                    Why
                  </th>
                  <th scope="col" class="nhsuk-table__header">
                    Rule
                  </th>
                </tr>
              </thead>
              <tbody class="nhsuk-table__body">
                {job.risk.suppressed.map((s) => (
                  <tr class="nhsuk-table__row">
                    <td class="nhsuk-table__cell">{s.cell}</td>
                    <td class="nhsuk-table__cell">{s.reason}</td>
                    <td class="nhsuk-table__cell">{s.rule}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {job.risk.notes.length > 0 ? (
            <ul class="nhsuk-list nhsuk-list--bullet">
              {job.risk.notes.map((n) => (
                <li>{n}</li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}
      {job.state === "built" ? (
        <form method="post" action={`/console/returns/${job.id}/submit`}>
          <CsrfField token={props.session.csrf} />
          <button class="nhsuk-button" type="submit">
            Submit the return
          </button>
        </form>
      ) : null}
    </>
  );
}

/** The page: the start form, or one job. */
export function ReturnsPage(props: {
  session: ConsoleSession;
  connected: boolean;
  errors?: FieldError[];
  values?: Record<string, string>;
  job?: ReturnJobView;
}) {
  return (
    <Layout title="Returns" session={props.session} section="returns" errors={props.errors ?? []}>
      <h1 class="nhsuk-heading-l">{props.job ? `Return ${props.job.id}` : "Returns"}</h1>
      {!props.connected ? (
        <p>Returns are not connected in this gateway yet: build and submit them with the API (POST /returns/kind).</p>
      ) : props.job ? (
        <JobView session={props.session} job={props.job} />
      ) : (
        <StartForm session={props.session} errors={props.errors ?? []} values={props.values ?? {}} />
      )}
    </Layout>
  );
}

/** GET/POST /console/returns, GET /console/returns/{id}, POST /console/returns/{id}/submit. */
export function returnsRoutes(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const returns = deps.returns;
  app.get("/returns", (c) => c.html(<ReturnsPage session={c.get("session")} connected={returns !== undefined} />));
  app.post("/returns", async (c) => {
    if (!returns) throw notFound("Returns are not connected in this gateway");
    const form = c.get("form");
    const values = Object.fromEntries(["kind", "start", "end"].map((k) => [k, String(form.get(k) ?? "").trim()]));
    const errors: FieldError[] = [];
    if (!(RETURN_KINDS as readonly string[]).includes(values.kind ?? ""))
      errors.push({ field: "kind", message: "Select a return" });
    for (const f of ["start", "end"] as const)
      if (!DAY.test(values[f] ?? "") || Number.isNaN(Date.parse(values[f] ?? "")))
        errors.push({ field: f, message: `Enter the period ${f} as a date, for example 2026-03-31` });
    if (errors.length === 0 && (values.start as string) > (values.end as string))
      errors.push({ field: "end", message: "The period must end on or after its start" });
    const session = c.get("session");
    if (errors.length > 0)
      return c.html(<ReturnsPage session={session} connected errors={errors} values={values} />, 400);
    const actor = c.get("actor");
    const scope = actor.orgType === "la-childrens-services" ? { la: actor.org } : { org: actor.org };
    const job = await returns.start(actor, {
      kind: values.kind as ReturnKind,
      period: { start: values.start as string, end: values.end as string },
      scope,
    });
    return c.redirect(`/console/returns/${encodeURIComponent(job.id)}`, 303);
  });
  app.get("/returns/:id", async (c) => {
    if (!returns) throw notFound("Returns are not connected in this gateway");
    const id = c.req.param("id");
    if (!JOB_ID.test(id)) throw badRequest("The return id is not valid", ["id"]);
    const job = await returns.get(c.get("actor"), id);
    if (!job) throw notFound("No such return");
    if (!FINISHED.has(job.state)) c.header("Refresh", "3");
    return c.html(<ReturnsPage session={c.get("session")} connected job={job} />);
  });
  app.post("/returns/:id/submit", async (c) => {
    if (!returns) throw notFound("Returns are not connected in this gateway");
    const id = c.req.param("id");
    if (!JOB_ID.test(id)) throw badRequest("The return id is not valid", ["id"]);
    await returns.submit(c.get("actor"), id);
    return c.redirect(`/console/returns/${encodeURIComponent(id)}`, 303);
  });
}
