/**
 * The family view (adult services): a patient's household children, their child protection, child in need and
 * looked-after status and allocated social worker, from the same `family` lookup and lookup context as
 * `GET /fhir/Patient/{id}/$family`. The lookup is audited, so it runs on a POST with the session's CSRF token.
 */
import type { Hono } from "hono";
import { lookupContext } from "../http/lookup-routes.js";
import { family } from "../lookups/family.js";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { conceptText, nameText, ownerText, periodText, telecomText } from "./fhir-text.js";
import { CsrfField, type FieldError, FieldMessage, Layout, SummaryList } from "./layout.js";
import type { ConsoleSession } from "./session.js";

type Json = Record<string, unknown>;
type Part = { name: string; resource?: Json; part?: Part[]; valueCode?: string; valueString?: string };

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The patient id in `Patient/id` or a bare id, or undefined. */
export function patientId(text: string | undefined): string | undefined {
  const v = (text ?? "").trim().replace(/^Patient\//, "");
  return ID.test(v) ? v : undefined;
}

function Child(props: { child: Part; index: number }) {
  const parts = props.child.part ?? [];
  const of = (name: string) => parts.filter((p) => p.name === name).map((p) => p.resource as Json);
  const child = of("child")[0];
  const level = parts.find((p) => p.name === "level")?.valueCode ?? "none";
  const note = parts.find((p) => p.name === "note")?.valueString;
  const status = [
    ...of("episode").map((e) => `${conceptText(e.type) ?? "Episode"} (${periodText(e.period) ?? "open"})`),
    ...of("plan").map((p) => `Child protection plan (${periodText(p.period) ?? "active"})`),
    ...of("flag").map((f) => conceptText(f.code) ?? "Flag"),
  ];
  const contacts = of("laContact").map((c) => [nameText(c), ...telecomText(c)].filter(Boolean).join(", "));
  const rows: [string, string][] = [
    ["Name", nameText(child) ?? "Withheld at this level"],
    ["Born", (child?.birthDate as string | undefined) ?? "Withheld at this level"],
    ["Local authority", ownerText(child) ?? "Not known"],
    ["Status with the local authority", status.length ? status.join("; ") : "None open, or withheld at this level"],
    ["Allocated social worker", contacts.length ? contacts.join("; ") : "Withheld at this level, or none allocated"],
    ["Disclosure level", level],
  ];
  return (
    <div class="nhsuk-card">
      <div class="nhsuk-card__content">
        <h3 class="nhsuk-card__heading nhsuk-heading-s">Child {props.index + 1}</h3>
        <SummaryList rows={rows} />
        {note ? (
          <div class="nhsuk-inset-text">
            <p>
              <strong>Consent needed.</strong> {note}
            </p>
          </div>
        ) : null}
      </div>
    </div>
  );
}

/** The page. */
export function FamilyPage(props: {
  session: ConsoleSession;
  patient: string;
  errors: FieldError[];
  result?: { parameter?: Part[] } | undefined;
}) {
  const children = props.result?.parameter?.filter((p) => p.name === "child") ?? [];
  const bad = props.errors.length > 0;
  return (
    <Layout title="Family view" session={props.session} section="family" errors={props.errors}>
      <h1 class="nhsuk-heading-l">Family view</h1>
      <p>The children in a patient's household, with their status with the local authority and their social worker.</p>
      <form method="post" action="/console/family" novalidate>
        <CsrfField token={props.session.csrf} />
        <div class={`nhsuk-form-group${bad ? " nhsuk-form-group--error" : ""}`}>
          <label class="nhsuk-label" for="patient">
            Patient record id
          </label>
          <div class="nhsuk-hint" id="patient-hint">
            The gateway's id of your patient's record, for example from the worklist
          </div>
          <FieldMessage errors={props.errors} field="patient" />
          <input
            class="nhsuk-input nhsuk-input--width-30"
            id="patient"
            name="patient"
            type="text"
            spellcheck={false}
            aria-describedby={bad ? "patient-hint patient-error" : "patient-hint"}
            value={props.patient}
          />
        </div>
        <button class="nhsuk-button" type="submit">
          Show family
        </button>
      </form>
      {props.result ? (
        <section aria-labelledby="results-heading">
          <h2 class="nhsuk-heading-m" id="results-heading">
            {children.length === 0
              ? "No children you may see"
              : `${children.length} child${children.length === 1 ? "" : "ren"} you may see`}
          </h2>
          {children.map((ch, i) => (
            <Child child={ch} index={i} />
          ))}
          <div class="nhsuk-inset-text">
            <p>
              Children are shown only when the protocol permits you both the patient and the child. This view is
              recorded in the audit log.
            </p>
          </div>
        </section>
      ) : null}
    </Layout>
  );
}

/** GET (the form, prefilled from `?patient=`) and POST (the lookup) /console/family. */
export function familyRoutes(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  app.get("/family", (c) => {
    const id = patientId(c.req.query("patient"));
    return c.html(<FamilyPage session={c.get("session")} patient={id ? `Patient/${id}` : ""} errors={[]} />);
  });
  app.post("/family", async (c) => {
    const raw = String(c.get("form").get("patient") ?? "");
    const id = patientId(raw);
    const session = c.get("session");
    if (!id) {
      const errors = [{ field: "patient", message: "Enter a patient record id of letters, digits, '-' or '.'" }];
      return c.html(<FamilyPage session={session} patient="" errors={errors} />, 400);
    }
    const result = (await family(lookupContext(deps, c.get("actor"), "$family"), id)) as { parameter?: Part[] };
    return c.html(<FamilyPage session={session} patient={`Patient/${id}`} errors={[]} result={result} />);
  });
}
