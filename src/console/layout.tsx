/** The page frame every console page shares: skip link, NHS.UK header and navigation, purpose of use, footer. */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { ConsoleSession } from "./session.js";

/** One problem shown in the error summary, linked to its field. */
export interface FieldError {
  field: string;
  message: string;
}

/** What a page gives the frame. */
export interface LayoutProps {
  title: string;
  session?: ConsoleSession | undefined;
  /** The current section, for `aria-current` in the navigation. */
  section?: string;
  errors?: FieldError[];
  children?: Child;
}

const NAV: { href: string; label: string; id: string }[] = [
  { href: "/console/household-check", label: "Household check", id: "household-check" },
  { href: "/console/family", label: "Family view", id: "family" },
  { href: "/console/worklist", label: "Worklist", id: "worklist" },
  { href: "/console/completeness", label: "Completeness", id: "completeness" },
  { href: "/console/reviews", label: "Reviews", id: "reviews" },
  { href: "/console/audit", label: "Who looked", id: "audit" },
  { href: "/console/ingest", label: "Ingest", id: "ingest" },
  { href: "/console/returns", label: "Returns", id: "returns" },
];

/** The error summary (GOV.UK / NHS.UK pattern): focused on load by the NHS.UK script, each error linked to its field. */
export function ErrorSummary(props: { errors: FieldError[] }) {
  if (props.errors.length === 0) return null;
  return (
    <div class="nhsuk-error-summary" data-module="nhsuk-error-summary">
      <div role="alert">
        <h2 class="nhsuk-error-summary__title" id="error-summary-title">
          There is a problem
        </h2>
        <div class="nhsuk-error-summary__body">
          <ul class="nhsuk-list nhsuk-error-summary__list">
            {props.errors.map((e) => (
              <li>
                <a href={`#${e.field}`}>{e.message}</a>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </div>
  );
}

/** The error message under a field, or nothing. */
export function FieldMessage(props: { errors?: FieldError[] | undefined; field: string }) {
  const e = props.errors?.find((x) => x.field === props.field);
  if (!e) return null;
  return (
    <span class="nhsuk-error-message" id={`${props.field}-error`}>
      <span class="nhsuk-u-visually-hidden">Error:</span> {e.message}
    </span>
  );
}

/** An NHS.UK summary list: one row per `[key, value]`. */
export function SummaryList(props: { rows: readonly (readonly [string, Child])[] }) {
  return (
    <dl class="nhsuk-summary-list">
      {props.rows.map(([k, v]) => (
        <div class="nhsuk-summary-list__row">
          <dt class="nhsuk-summary-list__key">{k}</dt>
          <dd class="nhsuk-summary-list__value">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The hidden CSRF field of a form. */
export const CsrfField = (props: { token: string }) => <input type="hidden" name="_csrf" value={props.token} />;

function Header(props: { session?: ConsoleSession | undefined; section?: string | undefined }) {
  const s = props.session;
  return (
    <header class="nhsuk-header">
      <div class="nhsuk-header__container nhsuk-width-container">
        <div class="nhsuk-header__service">
          <a class="nhsuk-header__service-logo" href="/console" aria-label="Think Family Gateway console homepage">
            <span class="nhsuk-header__service-name">Think Family Gateway</span>
          </a>
        </div>
        {s ? (
          <div class="nhsuk-header__account">
            <ul class="nhsuk-header__account-list">
              <li class="nhsuk-header__account-item">
                {s.user.subject} ({s.user.role}, {s.user.org})
              </li>
              <li class="nhsuk-header__account-item">
                <form method="post" action="/console/sign-out" class="nhsuk-header__account-form">
                  <CsrfField token={s.csrf} />
                  <button class="nhsuk-header__account-button" type="submit">
                    Sign out
                  </button>
                </form>
              </li>
            </ul>
          </div>
        ) : null}
      </div>
      {s?.purpose ? (
        <nav class="nhsuk-header__navigation" aria-label="Console sections">
          <div class="nhsuk-header__navigation-container nhsuk-width-container">
            <ul class="nhsuk-header__navigation-list">
              {NAV.map((n) => (
                <li class="nhsuk-header__navigation-item">
                  <a
                    class="nhsuk-header__navigation-link"
                    href={n.href}
                    {...(props.section === n.id ? { "aria-current": "page" } : {})}
                  >
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </div>
        </nav>
      ) : null}
    </header>
  );
}

/** The purpose of use of this session, shown on every signed-in page, with a link to change it. */
function PurposeBanner(props: { session: ConsoleSession }) {
  const p = props.session.purpose;
  return (
    <div class="nhsuk-inset-text tfg-purpose" id="purpose-of-use">
      <span class="nhsuk-u-visually-hidden">Information: </span>
      <p>
        Purpose of use for this session: <strong>{p ?? "not chosen yet"}</strong>.{" "}
        {props.session.user.purposes.length > 1 ? <a href="/console/purpose">Change purpose of use</a> : null}
      </p>
    </div>
  );
}

/** A whole HTML page. */
export function Layout(props: LayoutProps) {
  const title = `${props.errors?.length ? "Error: " : ""}${props.title} – Think Family Gateway`;
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en-GB">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{title}</title>
          <link rel="stylesheet" href="/console/assets/nhsuk-frontend.min.css" />
          <link rel="stylesheet" href="/console/assets/console.css" />
          <script type="module" src="/console/assets/init.js" />
        </head>
        <body>
          <a class="nhsuk-skip-link" href="#maincontent">
            Skip to main content
          </a>
          <Header session={props.session} section={props.section} />
          <div class="nhsuk-width-container">
            <main class="nhsuk-main-wrapper" id="maincontent">
              {props.session ? <PurposeBanner session={props.session} /> : null}
              <ErrorSummary errors={props.errors ?? []} />
              {props.children}
            </main>
          </div>
          <footer class="nhsuk-footer" role="contentinfo">
            <div class="nhsuk-width-container">
              <p class="nhsuk-body-s">
                Think Family Gateway console. Synthetic data only in development. Every read is recorded in the audit
                log.
              </p>
            </div>
          </footer>
        </body>
      </html>
    </>
  );
}
