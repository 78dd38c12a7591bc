/**
 * The household check page (children's services): find a child by NHS number, LA child id, or name + date of birth +
 * postcode, then list the household adults known to adult services at the level the policy permits. It builds the
 * same Parameters body the API takes, parses it with the API's parser and calls the same `householdCheck` with the
 * same lookup context (src/http/lookup-routes.ts), so policy and audit are the API's.
 */
import type { Hono } from "hono";
import { GatewayError } from "../fhir/errors.js";
import { lookupContext } from "../http/lookup-routes.js";
import { parseChildQuery } from "../lookups/child-query.js";
import { householdCheck } from "../lookups/household-check.js";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { conceptText, nameText, ownerText, periodText, telecomText } from "./fhir-text.js";
import { CsrfField, type FieldError, FieldMessage, Layout, SummaryList } from "./layout.js";
import type { ConsoleSession } from "./session.js";

type Json = Record<string, unknown>;
type Part = { name: string; resource?: Json; part?: Part[]; valueCode?: string; valueString?: string };

const FIELDS = ["nhsNumber", "laChildId", "family", "given", "birthDate", "postcode", "reason"] as const;
type Values = Partial<Record<(typeof FIELDS)[number], string>>;

/** The Parameters body the form's values make (the API's input). */
export function parametersOf(v: Values): Json {
  const parameter: Json[] = [];
  if (v.nhsNumber)
    parameter.push({
      name: "nhsNumber",
      valueIdentifier: { system: "https://fhir.nhs.uk/Id/nhs-number", value: v.nhsNumber.replace(/\s+/g, "") },
    });
  else if (v.laChildId) parameter.push({ name: "laChildId", valueString: v.laChildId });
  else if (v.family || v.birthDate || v.postcode) {
    if (v.family)
      parameter.push({ name: "name", valueHumanName: { family: v.family, ...(v.given ? { given: [v.given] } : {}) } });
    if (v.birthDate) parameter.push({ name: "birthDate", valueDate: v.birthDate });
    if (v.postcode) parameter.push({ name: "postcode", valueString: v.postcode });
  }
  return { resourceType: "Parameters", parameter };
}

/** The form field a 400 from the parser is about. */
function fieldOf(err: GatewayError): string {
  const where = err.issues[0]?.expression?.[0] ?? "";
  if (where.includes("nhsNumber")) return "nhsNumber";
  if (where.includes("laChildId")) return "laChildId";
  if (where.includes("birthDate")) return "birthDate";
  if (where.includes("postcode")) return "postcode";
  if (where.includes("name=name")) return "family";
  return "nhsNumber";
}

const part = (p: Part, name: string) => p.part?.find((x) => x.name === name);

function Field(props: {
  id: keyof Values;
  label: string;
  hint?: string;
  values: Values;
  errors: FieldError[];
  width?: string;
  type?: string;
  autocomplete?: string;
}) {
  const bad = props.errors.some((e) => e.field === props.id);
  const described = [props.hint ? `${props.id}-hint` : "", bad ? `${props.id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class={`nhsuk-form-group${bad ? " nhsuk-form-group--error" : ""}`}>
      <label class="nhsuk-label" for={props.id}>
        {props.label}
      </label>
      {props.hint ? (
        <div class="nhsuk-hint" id={`${props.id}-hint`}>
          {props.hint}
        </div>
      ) : null}
      <FieldMessage errors={props.errors} field={props.id} />
      <input
        class={`nhsuk-input ${props.width ?? "nhsuk-input--width-20"}${bad ? " nhsuk-input--error" : ""}`}
        id={props.id}
        name={props.id}
        type={props.type ?? "text"}
        spellcheck={false}
        autocomplete={props.autocomplete ?? "off"}
        value={props.values[props.id] ?? ""}
        {...(described ? { "aria-describedby": described } : {})}
      />
    </div>
  );
}

const LEVEL_TEXT: Record<string, string> = {
  existence: "Existence only: that the person is known to the service, and which service to contact",
  contact: "Contact: the lead professional's contact details",
  summary: "Summary: the episode and the lead professional",
  sensitive: "Full record",
};

/** One household adult as a summary card. */
function Adult(props: { adult: Part; index: number }) {
  const patient = part(props.adult, "patient")?.resource;
  const episode = part(props.adult, "episode")?.resource;
  const lead = part(props.adult, "leadProfessional")?.resource;
  const level = part(props.adult, "level")?.valueCode ?? "none";
  const basis = part(props.adult, "legalBasis")?.valueString;
  const note = props.adult.part?.find((x) => x.name === "note")?.valueString;
  const rows: [string, string | undefined][] = [
    ["Name", nameText(patient) ?? "Withheld at this level"],
    ["Born", (patient?.birthDate as string | undefined) ?? "Withheld at this level"],
    ["Service", conceptText(episode?.type) ?? "Adult service"],
    ["Organisation to contact", ownerText(episode) ?? ownerText(patient)],
    ["Episode", periodText(episode?.period)],
    ["Lead professional", lead ? nameText(lead) : "Withheld at this level"],
    ["Lead professional's contact", lead ? telecomText(lead).join(", ") || "None recorded" : "Withheld at this level"],
    ["Disclosure level", LEVEL_TEXT[level] ?? level],
    ["Legal basis", basis],
  ];
  return (
    <div class="nhsuk-card">
      <div class="nhsuk-card__content">
        <h3 class="nhsuk-card__heading nhsuk-heading-s">Household adult {props.index + 1}</h3>
        <SummaryList rows={rows.filter((r): r is [string, string] => r[1] !== undefined)} />
        {note ? (
          <div class="nhsuk-inset-text">
            <span class="nhsuk-u-visually-hidden">Withheld: </span>
            <p>
              <strong>Consent needed.</strong> {note}
            </p>
          </div>
        ) : null}
      </div>
    </div>
  );
}

/** The page: the form, and the result when there is one. */
export function HouseholdCheckPage(props: {
  session: ConsoleSession;
  values: Values;
  errors: FieldError[];
  result?: { parameter?: Part[] } | undefined;
}) {
  const adults = props.result?.parameter?.filter((p) => p.name === "adult") ?? [];
  return (
    <Layout title="Household check" session={props.session} section="household-check" errors={props.errors}>
      <h1 class="nhsuk-heading-l">Household check</h1>
      <p>
        Find a child by NHS number, or by your local authority's child id, or by name, date of birth and postcode. You
        will see the adults in the child's household who are known to adult mental health or drug and alcohol services,
        at the level the sharing protocol allows you.
      </p>
      <form method="post" action="/console/household-check" novalidate>
        <CsrfField token={props.session.csrf} />
        <fieldset class="nhsuk-fieldset">
          <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">Find the child by one of these</legend>
          <Field
            id="nhsNumber"
            label="NHS number"
            hint="10 digits, for example 999 123 4567"
            width="nhsuk-input--width-10"
            values={props.values}
            errors={props.errors}
          />
          <Field id="laChildId" label="LA child id" values={props.values} errors={props.errors} />
          <Field id="family" label="Family name" autocomplete="off" values={props.values} errors={props.errors} />
          <Field id="given" label="Given name (optional)" values={props.values} errors={props.errors} />
          <Field
            id="birthDate"
            label="Date of birth"
            hint="For example 2015-03-27"
            width="nhsuk-input--width-10"
            values={props.values}
            errors={props.errors}
          />
          <Field
            id="postcode"
            label="Postcode"
            width="nhsuk-input--width-10"
            values={props.values}
            errors={props.errors}
          />
        </fieldset>
        <Field
          id="reason"
          label="Reason (optional)"
          hint="Needed for break-glass access or a section 47 justification; it is not stored in the audit"
          width="nhsuk-input--width-30"
          values={props.values}
          errors={props.errors}
        />
        <button class="nhsuk-button" type="submit">
          Check household
        </button>
      </form>
      {props.result ? (
        <section aria-labelledby="results-heading">
          <h2 class="nhsuk-heading-m" id="results-heading">
            {adults.length === 0
              ? "No household adults you may see"
              : `${adults.length} household adult${adults.length === 1 ? "" : "s"} you may see`}
          </h2>
          {adults.map((a, i) => (
            <Adult adult={a} index={i} />
          ))}
          <div class="nhsuk-inset-text">
            <span class="nhsuk-u-visually-hidden">Information: </span>
            <p>
              <strong>No relationship, nothing shown.</strong> Adults whose records the protocol does not let you see
              (for example because your organisation has no relationship with the child) are not listed, and no match is
              not shown as different from no child. This check is recorded in the audit log.
            </p>
          </div>
        </section>
      ) : null}
    </Layout>
  );
}

/** GET and POST /console/household-check. */
export function householdCheckRoutes(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  app.get("/household-check", (c) => c.html(<HouseholdCheckPage session={c.get("session")} values={{}} errors={[]} />));
  app.post("/household-check", async (c) => {
    const form = c.get("form");
    const values: Values = {};
    for (const f of FIELDS) {
      const v = form.get(f);
      if (typeof v === "string" && v.trim() !== "") values[f] = v.trim();
    }
    const session = c.get("session");
    if (values.reason && values.reason.length > 500) {
      const errors = [{ field: "reason", message: "Reason must be 500 characters or fewer" }];
      return c.html(<HouseholdCheckPage session={session} values={values} errors={errors} />, 400);
    }
    let query: ReturnType<typeof parseChildQuery>;
    try {
      query = parseChildQuery(parametersOf(values));
    } catch (err) {
      if (!(err instanceof GatewayError) || err.status !== 400) throw err;
      const message = err.issues[0]?.diagnostics ?? "Check the details you entered";
      const errors = [{ field: fieldOf(err), message: humanise(message) }];
      return c.html(<HouseholdCheckPage session={session} values={values} errors={errors} />, 400);
    }
    const ctx = lookupContext(deps, c.get("actor"), "$household-check", values.reason);
    const result = (await householdCheck(ctx, query)) as { parameter?: Part[] };
    return c.html(<HouseholdCheckPage session={session} values={values} errors={[]} result={result} />);
  });
}

/** The API's message in the form's words. */
function humanise(message: string): string {
  return message
    .replace(
      "Give nhsNumber, or laChildId, or name with birthDate and postcode",
      "Enter an NHS number, an LA child id, or a family name with a date of birth and postcode",
    )
    .replace(/^Parameter nhsNumber/, "NHS number")
    .replace(/^Parameter laChildId/, "LA child id")
    .replace(/^Parameter birthDate/, "Date of birth")
    .replace(/^Parameter postcode/, "Postcode")
    .replace(/^Parameter name/, "Family name")
    .replace(
      " is required with name, birthDate and postcode",
      " is needed with a family name, date of birth and postcode",
    );
}
