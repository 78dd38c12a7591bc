/** Console settings from the environment (docs/CONSOLE.md): the session key, the OpenID Connect client, dev sign-in. */

/** The OpenID Connect relying party the console signs users in with (TFG_CONSOLE_OIDC). */
export interface ConsoleOidcSettings {
  /** The issuer identifier; its `/.well-known/openid-configuration` is fetched on first use. */
  issuer: string;
  clientId: string;
  /** A confidential client's secret (client_secret_basic); absent for a public client (PKCE only). */
  clientSecret?: string;
  /** The registered redirect URI; default `<request origin>/console/oidc/callback`. */
  redirectUri?: string;
  /** Scopes asked for; default `openid profile`. */
  scope?: string;
}

/** How the console signs users in and keeps their sessions. */
export interface ConsoleSettings {
  /**
   * Key the session and sign-in cookies are encrypted with (TFG_CONSOLE_SECRET, 32 bytes base64url). Without it
   * a key is generated per process, so sessions end when the gateway restarts (and on Workers, per isolate).
   */
  secret?: Uint8Array;
  oidc?: ConsoleOidcSettings;
  /** The development sign-in form: on only beside the development token issuer (`npm start`). */
  devSignIn: boolean;
  /** Session lifetime in seconds (TFG_CONSOLE_SESSION_SECONDS, default 28800 = 8 h). */
  sessionSeconds: number;
}

const b64url = (s: string): Uint8Array | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return undefined;
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
};

function oidcOf(raw: string | undefined, problems: string[]): ConsoleOidcSettings | undefined {
  if (!raw) return undefined;
  const message = "TFG_CONSOLE_OIDC: must be JSON {issuer, clientId, clientSecret?, redirectUri?, scope?}";
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    const str = (k: string) => (typeof v[k] === "string" && v[k] !== "" ? (v[k] as string) : undefined);
    const issuer = str("issuer");
    const clientId = str("clientId");
    if (!issuer || !clientId || !URL.canParse(issuer)) {
      problems.push(message);
      return undefined;
    }
    const redirectUri = str("redirectUri");
    if (redirectUri && !URL.canParse(redirectUri)) problems.push("TFG_CONSOLE_OIDC: redirectUri must be a URL");
    const out: ConsoleOidcSettings = { issuer, clientId };
    const secret = str("clientSecret");
    const scope = str("scope");
    if (secret) out.clientSecret = secret;
    if (redirectUri) out.redirectUri = redirectUri;
    if (scope) out.scope = scope;
    return out;
  } catch {
    problems.push(message);
    return undefined;
  }
}

/** Reads the console settings; `problems` names each bad variable (never its value). */
export function parseConsoleSettings(env: Record<string, string>): { settings: ConsoleSettings; problems: string[] } {
  const problems: string[] = [];
  const settings: ConsoleSettings = { devSignIn: false, sessionSeconds: 28_800 };
  const secret = env.TFG_CONSOLE_SECRET;
  if (secret) {
    const bytes = b64url(secret);
    if (bytes?.length !== 32) problems.push("TFG_CONSOLE_SECRET: must be 32 bytes, base64url-encoded");
    else settings.secret = bytes;
  }
  const oidc = oidcOf(env.TFG_CONSOLE_OIDC, problems);
  if (oidc) settings.oidc = oidc;
  const seconds = env.TFG_CONSOLE_SESSION_SECONDS;
  if (seconds) {
    if (!/^\d+$/.test(seconds) || Number(seconds) < 60 || Number(seconds) > 86_400)
      problems.push("TFG_CONSOLE_SESSION_SECONDS: must be a whole number of seconds from 60 to 86400");
    else settings.sessionSeconds = Number(seconds);
  }
  return { settings, problems };
}
