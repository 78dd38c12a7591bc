/**
 * The web console at /console (issue 12; docs/CONSOLE.md): server-rendered Hono JSX pages styled with the NHS.UK
 * frontend. Sign-in is OpenID Connect (or the development form beside the development issuer); the session's actor
 * is the same Actor an API token gives, and every page calls the API's own service functions, so policy and audit
 * apply unchanged. Every POST carries a session-bound CSRF token.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { ORG_TYPES, PURPOSES, type Purpose, ROLES } from "../auth/actor.js";
import { GatewayError, payloadTooLarge } from "../fhir/errors.js";
import type { AppEnv } from "../http/context.js";
import { reportRoutes } from "../http/report-routes.js";
import { StoreBusyError } from "../store/port.js";
import { assetRoutes } from "./assets.js";
import { auditRoutes } from "./audit-page.js";
import { completenessRoutes } from "./completeness-page.js";
import { checkCsrf, preSignInCookie, preSignInToken } from "./csrf.js";
import type { ConsoleDeps, ConsoleEnv } from "./deps.js";
import { familyRoutes } from "./family-page.js";
import { householdCheckRoutes } from "./household-check-page.js";
import { ingestRoutes } from "./ingest-page.js";
import type { FieldError } from "./layout.js";
import { OidcClient } from "./oidc.js";
import { ErrorPage, HomePage, PurposePage } from "./pages.js";
import { returnsRoutes } from "./returns-page.js";
import { reviewRoutes } from "./review-page.js";
import { type ConsoleSession, CookieSealer, newSession, SessionStore } from "./session.js";
import { SignInPage } from "./sign-in-page.js";
import { worklistRoutes } from "./worklist-page.js";

/** The development issuer's `iss` (src/runtime/dev-issuer.ts): development sessions act as its tokens do. */
export const DEV_ISSUER = "urn:think-family-gateway:dev-issuer";

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' https://assets.nhs.uk",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const ORG = /^[A-Za-z0-9]{1,16}$/;
const SUBJECT = /^[A-Za-z0-9._@-]{1,64}$/;

/** Paths served without a session. */
const PUBLIC = /^\/console\/(assets\/|sign-in(\/|$)|oidc\/)/;

/** The console router; mount at /console. */
export function consoleRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const settings = deps.config.console;
  const key = settings.secret ?? crypto.getRandomValues(new Uint8Array(32));
  const sealer = new CookieSealer(key);
  const sessions = new SessionStore(sealer, settings.sessionSeconds);
  const oidc = settings.oidc ? new OidcClient(settings.oidc, sealer, deps.fetch) : undefined;
  const app = new Hono<ConsoleEnv>({ strict: false });

  app.use("*", async (c, next) => {
    c.set("sessions", sessions);
    await next();
    c.header("Content-Security-Policy", CSP);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "same-origin");
    if (!c.req.path.startsWith("/console/assets/")) c.header("Cache-Control", "no-store");
  });
  app.route("/assets", assetRoutes(deps.assets));

  const limit = (maxSize: number): MiddlewareHandler<ConsoleEnv> =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw payloadTooLarge(maxSize);
      },
    });
  app.post("/ingest", limit(deps.config.ingestLimitBytes));
  app.post("*", async (c, next) => (c.req.path === "/console/ingest" ? next() : limit(64 * 1024)(c, next)));

  // Sign-in.
  app.get("/sign-in", (c) =>
    c.html(<SignInPage oidc={oidc !== undefined} devSignIn={settings.devSignIn} csrf={preSignInToken(c)} />),
  );
  app.post("/sign-in/development", async (c) => {
    if (!settings.devSignIn) return c.html(<ErrorPage status={404} message="No development sign-in here" />, 404);
    const form = await c.req.formData();
    checkCsrf(c, form, preSignInCookie(c));
    const v = Object.fromEntries(
      ["subject", "org", "orgType", "role", "purpose"].map((k) => [k, String(form.get(k) ?? "").trim()]),
    );
    const errors: FieldError[] = [];
    if (!SUBJECT.test(v.subject ?? ""))
      errors.push({ field: "subject", message: "Enter a user id of letters, digits, '.', '_', '@' or '-'" });
    if (!ORG.test(v.org ?? ""))
      errors.push({ field: "org", message: "Enter an organisation code of 1 to 16 letters or digits" });
    if (!(ORG_TYPES as readonly string[]).includes(v.orgType ?? ""))
      errors.push({ field: "orgType", message: "Select an organisation type" });
    if (!(ROLES as readonly string[]).includes(v.role ?? "")) errors.push({ field: "role", message: "Select a role" });
    if (!(PURPOSES as readonly string[]).includes(v.purpose ?? ""))
      errors.push({ field: "purpose", message: "Select a purpose of use" });
    if (errors.length > 0)
      return c.html(
        <SignInPage oidc={oidc !== undefined} devSignIn csrf={preSignInToken(c)} errors={errors} values={v} />,
        400,
      );
    const session = newSession({
      subject: v.subject as string,
      issuer: DEV_ISSUER,
      org: (v.org as string).toUpperCase(),
      orgType: v.orgType as ConsoleSession["user"]["orgType"],
      role: v.role as ConsoleSession["user"]["role"],
      purposes: [...PURPOSES],
      via: "development",
    });
    session.purpose = v.purpose as Purpose;
    await sessions.write(c, session);
    c.get("logger").info({ console: "sign-in", via: "development", org: session.user.org }, "console sign-in");
    return c.redirect("/console", 303);
  });
  app.get("/oidc/start", (c) => {
    if (!oidc) return c.html(<ErrorPage status={404} message="No OpenID Connect issuer is configured" />, 404);
    return oidc.start(c);
  });
  app.get("/oidc/callback", async (c) => {
    if (!oidc) return c.html(<ErrorPage status={404} message="No OpenID Connect issuer is configured" />, 404);
    const user = await oidc.callback(c);
    const session = newSession(user);
    await sessions.write(c, session);
    c.get("logger").info({ console: "sign-in", via: "oidc", org: user.org }, "console sign-in");
    return c.redirect(session.purpose ? "/console" : "/console/purpose", 303);
  });

  // Everything else needs a session; POSTs need its CSRF token; pages need a purpose of use.
  app.use("*", async (c, next) => {
    if (PUBLIC.test(c.req.path)) return next();
    const session = await sessions.read(c);
    if (!session) {
      if (c.req.method === "GET") return c.redirect("/console/sign-in", 303);
      throw new GatewayError(401, "unauthorized", [
        { severity: "error", code: "login", diagnostics: "Your session has ended: sign in again" },
      ]);
    }
    c.set("session", session);
    if (c.req.method === "POST") {
      const form = await c.req.formData().catch(() => {
        throw new GatewayError(400, "bad-form", [
          { severity: "error", code: "invalid", diagnostics: "The form could not be read" },
        ]);
      });
      checkCsrf(c, form, session.csrf);
      c.set("form", form);
    }
    if (c.req.path === "/console/sign-out" || c.req.path === "/console/purpose") return next();
    if (!session.purpose) return c.redirect("/console/purpose", 303);
    c.set("actor", {
      subject: session.user.subject,
      issuer: session.user.issuer,
      org: session.user.org,
      orgType: session.user.orgType,
      role: session.user.role,
      purposeOfUse: session.purpose,
      tokenId: { kind: "jti", value: `console-session-${session.id}` },
    });
    return next();
  });

  app.post("/sign-out", (c) => {
    sessions.clear(c);
    c.get("logger").info({ console: "sign-out" }, "console sign-out");
    return c.redirect("/console/sign-in", 303);
  });
  app.get("/purpose", (c) => c.html(<PurposePage session={c.get("session")} />));
  app.post("/purpose", async (c) => {
    const session = c.get("session");
    const p = c.get("form").get("purpose");
    if (typeof p !== "string" || !session.user.purposes.includes(p as Purpose)) {
      const errors = [{ field: "purpose", message: "Select a purpose of use" }];
      return c.html(<PurposePage session={session} errors={errors} />, 400);
    }
    await sessions.write(c, { ...session, purpose: p as Purpose });
    return c.redirect("/console", 303);
  });
  app.get("/", (c) => c.html(<HomePage session={c.get("session")} />));

  householdCheckRoutes(app, deps);
  familyRoutes(app, deps);
  worklistRoutes(app, deps);
  completenessRoutes(app, deps);
  reviewRoutes(app, deps);
  auditRoutes(app, deps);
  ingestRoutes(app, deps);
  returnsRoutes(app, deps);
  // The CSV downloads: the API's own report routes, the session's actor standing in for a token's.
  const asActor: MiddlewareHandler<AppEnv> = (_c, next) => next();
  app.route(
    "/reports",
    reportRoutes(
      { store: deps.store, auditor: deps.auditor, policy: deps.policy, clock: deps.clock, config: deps.config },
      asActor,
    ) as unknown as Hono<ConsoleEnv>,
  );

  // A mounted app's notFound is not used by its parent: an unknown console path is answered here, as a page.
  app.all("*", (c) =>
    c.html(<ErrorPage session={c.get("session")} status={404} message="No console page here" />, 404),
  );
  app.onError((err, c) => errorPage(err, c));
  return app;
}

/** Renders a failure as an HTML page; a 500 says nothing but the request id (the log has the cause). */
function errorPage(err: Error, c: Context<ConsoleEnv>): Response | Promise<Response> {
  const session = c.get("session");
  if (err instanceof GatewayError) {
    const message = err.issues[0]?.diagnostics ?? "The request could not be completed";
    return c.html(<ErrorPage session={session} status={err.status} message={message} />, err.status as 400);
  }
  if (err instanceof StoreBusyError)
    return c.html(<ErrorPage session={session} status={503} message="The database is busy; try again shortly" />, 503);
  if (err instanceof HTTPException && err.status < 500)
    return c.html(
      <ErrorPage session={session} status={err.status} message="The request could not be processed" />,
      err.status,
    );
  c.get("logger")?.error({ err, requestId: c.get("requestId") }, "unhandled error");
  return c.html(
    <ErrorPage session={session} status={500} message={`Quote request id ${c.get("requestId") ?? "unknown"}`} />,
    500,
  );
}
