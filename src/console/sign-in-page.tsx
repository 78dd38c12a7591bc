/** The sign-in page: the OpenID Connect button (when an issuer is configured) and the development sign-in form. */
import { ORG_TYPES, PURPOSES, ROLES } from "../auth/actor.js";
import { CsrfField, type FieldError, FieldMessage, Layout } from "./layout.js";

/** What the sign-in page shows. */
export interface SignInProps {
  oidc: boolean;
  devSignIn: boolean;
  /** The pre-sign-in CSRF token (double-submit cookie). */
  csrf: string;
  errors?: FieldError[];
  values?: Record<string, string>;
}

function Select(props: {
  id: string;
  label: string;
  options: readonly string[];
  value?: string | undefined;
  errors?: FieldError[] | undefined;
}) {
  return (
    <div class={`nhsuk-form-group${props.errors?.some((e) => e.field === props.id) ? " nhsuk-form-group--error" : ""}`}>
      <label class="nhsuk-label" for={props.id}>
        {props.label}
      </label>
      <FieldMessage errors={props.errors} field={props.id} />
      <select class="nhsuk-select" id={props.id} name={props.id}>
        {props.options.map((o) => (
          <option value={o} selected={o === props.value}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The page. */
export function SignInPage(props: SignInProps) {
  const v = props.values ?? {};
  return (
    <Layout title="Sign in" errors={props.errors ?? []}>
      <h1 class="nhsuk-heading-l">Sign in</h1>
      {props.oidc ? (
        <p>
          <a class="nhsuk-button" href="/console/oidc/start">
            Sign in with your organisation account
          </a>
        </p>
      ) : null}
      {!props.oidc && !props.devSignIn ? (
        <p>No sign-in is configured. Set TFG_CONSOLE_OIDC, or start the gateway with npm start for development.</p>
      ) : null}
      {props.devSignIn ? (
        <form method="post" action="/console/sign-in/development" novalidate>
          <CsrfField token={props.csrf} />
          <div class="nhsuk-warning-callout">
            <h2 class="nhsuk-warning-callout__label">
              <span>
                <span class="nhsuk-u-visually-hidden">Important: </span>
                Development sign-in
              </span>
            </h2>
            <p>
              Anyone can sign in as anyone here. It is on only because the development token issuer is on (npm start).
            </p>
          </div>
          <div
            class={`nhsuk-form-group${props.errors?.some((e) => e.field === "subject") ? " nhsuk-form-group--error" : ""}`}
          >
            <label class="nhsuk-label" for="subject">
              User id
            </label>
            <FieldMessage errors={props.errors} field="subject" />
            <input
              class="nhsuk-input nhsuk-input--width-20"
              id="subject"
              name="subject"
              type="text"
              autocomplete="username"
              value={v.subject ?? "dev-user"}
            />
          </div>
          <div
            class={`nhsuk-form-group${props.errors?.some((e) => e.field === "org") ? " nhsuk-form-group--error" : ""}`}
          >
            <label class="nhsuk-label" for="org">
              Organisation code
            </label>
            <div class="nhsuk-hint" id="org-hint">
              An ODS code (for example RX4) or a local authority code (for example 201)
            </div>
            <FieldMessage errors={props.errors} field="org" />
            <input
              class="nhsuk-input nhsuk-input--width-10"
              id="org"
              name="org"
              type="text"
              aria-describedby="org-hint"
              value={v.org ?? ""}
            />
          </div>
          <Select id="orgType" label="Organisation type" options={ORG_TYPES} value={v.orgType} errors={props.errors} />
          <Select id="role" label="Role" options={ROLES} value={v.role} errors={props.errors} />
          <Select id="purpose" label="Purpose of use" options={PURPOSES} value={v.purpose} errors={props.errors} />
          <button class="nhsuk-button" type="submit">
            Sign in for development
          </button>
        </form>
      ) : null}
    </Layout>
  );
}
