/**
 * OpenID Connect sign-in (authorisation code flow with PKCE and nonce; oauth4webapi): `GET /console/oidc/start`
 * redirects to the issuer with the state, nonce and code verifier sealed in a short-lived cookie; the callback checks
 * the state, redeems the code, validates the ID token and maps its claims to the same Actor an API token gives
 * (src/auth/actor.ts `actorClaims`). The purposes of use the user may choose are the token's `purpose_of_use`, else
 * its `purposes`.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import * as oauth from "oauth4webapi";
import { actorClaims, type Purpose } from "../auth/actor.js";
import { forbidden, GatewayError, unauthorized } from "../fhir/errors.js";
import { type ConsoleUser, type CookieSealer, cookieName, insecureLocal } from "./session.js";
import type { ConsoleOidcSettings } from "./settings.js";

const FLOW_COOKIE = "tfg-console-oidc";
const FLOW_SECONDS = 600;

/** The relying party for one configured issuer; discovery is fetched once and kept. */
export class OidcClient {
  private server: Promise<oauth.AuthorizationServer> | undefined;
  private readonly client: oauth.Client;
  private readonly auth: oauth.ClientAuth;

  constructor(
    private readonly settings: ConsoleOidcSettings,
    private readonly sealer: CookieSealer,
    private readonly fetchImpl?: typeof fetch,
  ) {
    this.client = { client_id: settings.clientId };
    this.auth = settings.clientSecret ? oauth.ClientSecretBasic(settings.clientSecret) : oauth.None();
  }

  // biome-ignore lint/suspicious/noExplicitAny: one options object serves oauth4webapi's GET and POST request types.
  private options(): any {
    const u = new URL(this.settings.issuer);
    const local = u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
    return {
      ...(this.fetchImpl ? { [oauth.customFetch]: this.fetchImpl } : {}),
      ...(local ? { [oauth.allowInsecureRequests]: true } : {}),
    };
  }

  private discover(): Promise<oauth.AuthorizationServer> {
    if (!this.server) {
      const issuer = new URL(this.settings.issuer);
      this.server = oauth
        .discoveryRequest(issuer, { algorithm: "oidc", ...this.options() })
        .then((r) => oauth.processDiscoveryResponse(issuer, r));
      this.server.catch(() => {
        this.server = undefined;
      });
    }
    return this.server;
  }

  private redirectUri(c: Context): string {
    return this.settings.redirectUri ?? `${new URL(c.req.url).origin}/console/oidc/callback`;
  }

  /** The redirect to the issuer's authorisation endpoint, with the flow's secrets sealed in a cookie. */
  async start(c: Context): Promise<Response> {
    const as = await this.discover().catch(() => {
      throw new GatewayError(503, "oidc-unavailable", [
        { severity: "error", code: "transient", diagnostics: "The sign-in service could not be reached" },
      ]);
    });
    if (!as.authorization_endpoint) throw new GatewayError(503, "oidc-unavailable", []);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set("client_id", this.settings.clientId);
    url.searchParams.set("redirect_uri", this.redirectUri(c));
    url.searchParams.set("response_type", "code");
    url.searchParams.set("scope", this.settings.scope ?? "openid profile");
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set("code_challenge_method", "S256");
    url.searchParams.set("state", state);
    url.searchParams.set("nonce", nonce);
    setCookie(
      c,
      cookieName(c, FLOW_COOKIE),
      await this.sealer.seal("oidc-flow", { verifier, state, nonce }, FLOW_SECONDS),
      { path: "/", httpOnly: true, sameSite: "Lax", secure: !insecureLocal(c.req.url), maxAge: FLOW_SECONDS },
    );
    return c.redirect(url.href, 303);
  }

  /** Completes the flow: the signed-in user, or a 401/403 naming what failed (never a claim's value). */
  async callback(c: Context): Promise<ConsoleUser> {
    const flow = await this.sealer.open("oidc-flow", getCookie(c, cookieName(c, FLOW_COOKIE)));
    deleteCookie(c, cookieName(c, FLOW_COOKIE), { path: "/", secure: !insecureLocal(c.req.url) });
    if (!flow || typeof flow.state !== "string" || typeof flow.verifier !== "string" || typeof flow.nonce !== "string")
      throw unauthorized("The sign-in took too long or was started elsewhere: sign in again");
    const as = await this.discover();
    let claims: oauth.IDToken | undefined;
    try {
      const params = oauth.validateAuthResponse(as, this.client, new URL(c.req.url), flow.state);
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        this.client,
        this.auth,
        params,
        this.redirectUri(c),
        flow.verifier,
        this.options(),
      );
      const result = await oauth.processAuthorizationCodeResponse(as, this.client, response, {
        expectedNonce: flow.nonce,
        requireIdToken: true,
      });
      claims = oauth.getValidatedIdTokenClaims(result);
    } catch {
      throw unauthorized("The sign-in could not be completed: sign in again");
    }
    return userFromClaims(claims);
  }
}

/** The user an ID token's claims describe, mapped as an API token's are; 403 when a required claim is missing. */
export function userFromClaims(claims: Record<string, unknown> | undefined): ConsoleUser {
  const parsed = actorClaims.safeParse(claims ?? {});
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? "claims")))].join(", ");
    throw forbidden(`Your account lacks the claims the gateway needs: ${fields}`);
  }
  const k = parsed.data;
  const purposes: Purpose[] = k.purpose_of_use ? [k.purpose_of_use] : [...new Set(k.purposes ?? [])];
  if (purposes.length === 0) throw forbidden("Your account allows no purpose of use", ["purposes"]);
  return { subject: k.sub, issuer: k.iss, org: k.org, orgType: k.org_type, role: k.role, purposes, via: "oidc" };
}
