/**
 * Who looked at this record: the audit trail of one patient, for safeguarding leads (and systems). The read is decided
 * and audited exactly as `GET /fhir/AuditEvent?patient=Patient/{id}` is (src/http/audit-routes.ts): a deny recorded
 * before the 403, a permit once the answer is ready. It runs on a POST with the session's CSRF token, since it is
 * itself written to the audit.
 */
import type { Hono } from "hono";
import { auditReadDecision } from "../audit/access.js";
import type { AuditAccess } from "../audit/audit-event.js";
import { forbidden } from "../fhir/errors.js";
import type { StoredVersion } from "../store/port.js";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { patientId } from "./family-page.js";
import { CsrfField, type FieldError, FieldMessage, Layout } from "./layout.js";
import type { ConsoleSession } from "./session.js";

type Json = Record<string, unknown>;

/** One audit entry as the page shows it. */
export interface AuditRow {
  recorded: string;
  who: string;
  org: string;
  role: string;
  purpose: string;
  what: string;
  outcome: string;
}

const code = (v: unknown) => (v as { coding?: { code?: string }[] }[] | undefined)?.[0]?.coding?.[0]?.code ?? "";

function rowOf(v: StoredVersion): AuditRow {
  const e =
    (v.resource as Json | undefined) ??
    (JSON.parse(typeof v.json === "string" ? v.json : new TextDecoder().decode(v.json)) as Json);
  const agents = (e.agent as Json[] | undefined) ?? [];
  const who = (a: Json | undefined) => (a?.who as { identifier?: { value?: string } } | undefined)?.identifier?.value;
  const entities = (e.entity as Json[] | undefined) ?? [];
  const details = (entities[0]?.detail as { type?: string; valueString?: string }[] | undefined) ?? [];
  const detail = (t: string) => details.find((d) => d.type === t)?.valueString;
  const what = entities
    .map((x) => (x.what as { reference?: string } | undefined)?.reference ?? (x.name as string | undefined))
    .filter((x): x is string => typeof x === "string");
  return {
    recorded: String(e.recorded ?? ""),
    who: who(agents[0]) ?? "unknown",
    org: who(agents[1]) ?? "unknown",
    role: code(agents[0]?.role),
    purpose: code(e.purposeOfEvent),
    what: what.join(", "),
    outcome: `${detail("decision") ?? (e.outcome === "0" ? "permit" : "deny")} at ${detail("disclosure-level") ?? "?"} (rule ${detail("rule") ?? "?"})`,
  };
}

/** The page. */
export function AuditPage(props: {
  session: ConsoleSession;
  patient: string;
  errors: FieldError[];
  rows?: AuditRow[];
  more?: boolean;
}) {
  const bad = props.errors.length > 0;
  const heads = ["When", "Who", "Organisation", "Role", "Purpose", "What", "Decision"];
  return (
    <Layout title="Who looked at this record" session={props.session} section="audit" errors={props.errors}>
      <h1 class="nhsuk-heading-l">Who looked at this record</h1>
      <p>Every read of a patient's records, permitted or refused, newest first. Looking is itself recorded.</p>
      <form method="post" action="/console/audit" novalidate>
        <CsrfField token={props.session.csrf} />
        <div class={`nhsuk-form-group${bad ? " nhsuk-form-group--error" : ""}`}>
          <label class="nhsuk-label" for="patient">
            Patient record id
          </label>
          <FieldMessage errors={props.errors} field="patient" />
          <input
            class="nhsuk-input nhsuk-input--width-30"
            id="patient"
            name="patient"
            type="text"
            spellcheck={false}
            value={props.patient}
            {...(bad ? { "aria-describedby": "patient-error" } : {})}
          />
        </div>
        <button class="nhsuk-button" type="submit">
          Show who looked
        </button>
      </form>
      {props.rows ? (
        props.rows.length === 0 ? (
          <p id="results-heading">No reads of this record are recorded.</p>
        ) : (
          <table class="nhsuk-table">
            <caption class="nhsuk-table__caption" id="results-heading">
              {props.rows.length} recorded read{props.rows.length === 1 ? "" : "s"}
              {props.more ? " (the newest shown)" : ""}
            </caption>
            <thead class="nhsuk-table__head">
              <tr class="nhsuk-table__row">
                {heads.map((h) => (
                  <th scope="col" class="nhsuk-table__header">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody class="nhsuk-table__body">
              {props.rows.map((r) => (
                <tr class="nhsuk-table__row">
                  {[r.recorded, r.who, r.org, r.role, r.purpose, r.what, r.outcome].map((v) => (
                    <td class="nhsuk-table__cell">{v}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </Layout>
  );
}

/** GET (the form) and POST (the read) /console/audit. */
export function auditRoutes(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  app.get("/audit", (c) => {
    const id = patientId(c.req.query("patient"));
    return c.html(<AuditPage session={c.get("session")} patient={id ? `Patient/${id}` : ""} errors={[]} />);
  });
  app.post("/audit", async (c) => {
    const session = c.get("session");
    const id = patientId(String(c.get("form").get("patient") ?? ""));
    if (!id) {
      const errors = [{ field: "patient", message: "Enter a patient record id of letters, digits, '-' or '.'" }];
      return c.html(<AuditPage session={session} patient="" errors={errors} />, 400);
    }
    const actor = c.get("actor");
    const patient = `Patient/${id}`;
    const query: [string, string][] = [
      ["patient", patient],
      ["_sort", "-date"],
      ["_count", "100"],
    ];
    const access: AuditAccess = { interaction: "search", resourceType: "AuditEvent", query, patient };
    const decision = auditReadDecision(actor);
    if (decision.effect === "deny") {
      await deps.auditor.record(actor, access, decision);
      throw forbidden("Only a safeguarding lead or a system may read the audit trail", ["AuditEvent"]);
    }
    const found = await deps.service.as(actor).search("AuditEvent", query);
    const rows = found.page.versions.map(rowOf);
    await deps.auditor.record(actor, access, decision);
    return c.html(
      <AuditPage session={session} patient={patient} errors={[]} rows={rows} more={found.nextCursor !== undefined} />,
    );
  });
}
