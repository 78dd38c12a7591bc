/** Small console pages: home, choose a purpose of use, and the error page. */
import { PURPOSES } from "../auth/actor.js";
import { CsrfField, type FieldError, FieldMessage, Layout } from "./layout.js";
import type { ConsoleSession } from "./session.js";

/** The home page: what each section is for. */
export function HomePage(props: { session: ConsoleSession }) {
  const items: [string, string, string][] = [
    ["/console/household-check", "Household check", "Adults in a child's household known to adult services."],
    ["/console/family", "Family view", "A patient's household children and their status with the LA."],
    ["/console/worklist", "Worklist", "Your organisation's open episodes with children flags."],
    ["/console/completeness", "Completeness", "How often parental status, young carers and pregnancy are recorded."],
    ["/console/reviews", "Review queues", "Possible matches and break-glass reads awaiting review."],
    ["/console/audit", "Who looked at this record", "The audit trail of a patient's record."],
    ["/console/ingest", "Ingest", "Upload a source file and see what was rejected."],
    ["/console/returns", "Returns", "Build and submit statutory returns."],
  ];
  return (
    <Layout title="Home" session={props.session}>
      <h1 class="nhsuk-heading-l">Think Family Gateway</h1>
      <ul class="nhsuk-list">
        {items.map(([href, title, text]) => (
          <li>
            <a href={href}>{title}</a>: {text}
          </li>
        ))}
      </ul>
    </Layout>
  );
}

/** Choose the purpose of use for this session (from those the sign-in allows). */
export function PurposePage(props: { session: ConsoleSession; errors?: FieldError[] }) {
  const allowed = PURPOSES.filter((p) => props.session.user.purposes.includes(p));
  const bad = (props.errors ?? []).length > 0;
  return (
    <Layout title="Purpose of use" session={props.session} errors={props.errors ?? []}>
      <form method="post" action="/console/purpose" novalidate>
        <CsrfField token={props.session.csrf} />
        <div class={`nhsuk-form-group${bad ? " nhsuk-form-group--error" : ""}`}>
          <fieldset class="nhsuk-fieldset" aria-describedby="purpose-hint">
            <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--l">
              <h1 class="nhsuk-fieldset__heading">Why are you using the gateway in this session?</h1>
            </legend>
            <div class="nhsuk-hint" id="purpose-hint">
              The purpose of use decides what you may see and is recorded with every read.
            </div>
            <FieldMessage errors={props.errors} field="purpose" />
            <div class="nhsuk-radios" data-module="nhsuk-radios">
              {allowed.map((p, i) => (
                <div class="nhsuk-radios__item">
                  <input
                    class="nhsuk-radios__input"
                    id={i === 0 ? "purpose" : `purpose-${p}`}
                    name="purpose"
                    type="radio"
                    value={p}
                    checked={props.session.purpose === p}
                  />
                  <label class="nhsuk-label nhsuk-radios__label" for={i === 0 ? "purpose" : `purpose-${p}`}>
                    {p}
                  </label>
                </div>
              ))}
            </div>
          </fieldset>
        </div>
        <button class="nhsuk-button" type="submit">
          Continue
        </button>
      </form>
    </Layout>
  );
}

/** An error page: the status and the gateway's (non-identifying) message. */
export function ErrorPage(props: { session?: ConsoleSession | undefined; status: number; message: string }) {
  const title =
    props.status === 403
      ? "You cannot do this"
      : props.status === 404
        ? "Page not found"
        : props.status >= 500
          ? "Sorry, there is a problem with the service"
          : "There is a problem";
  return (
    <Layout title={title} session={props.session}>
      <h1 class="nhsuk-heading-l">{title}</h1>
      <p>{props.message}</p>
      <p>
        <a href="/console">Go to the console home page</a>
      </p>
    </Layout>
  );
}
