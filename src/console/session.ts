/**
 * The console session: the signed-in user's actor (the same Actor an API token gives) and a CSRF token, sealed in an
 * encrypted cookie (jose JWE, `dir` + A256GCM). The cookie is HttpOnly, SameSite=Lax and Secure except on
 * http://localhost. It is never a bearer token: /fhir reads only `Authorization: Bearer`, and the cookie is a JWE, not
 * a JWS, so no token verifier would accept it.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { EncryptJWT, jwtDecrypt } from "jose";
import { type Actor, ORG_TYPES, PURPOSES, type Purpose, ROLES } from "../auth/actor.js";

/** The actor of a session before a purpose of use is chosen, and the purposes it may choose from. */
export interface ConsoleUser {
  subject: string;
  issuer: string;
  org: string;
  orgType: Actor["orgType"];
  role: Actor["role"];
  /** Purposes the user may choose (all of them for the development sign-in; as the ID token allows otherwise). */
  purposes: Purpose[];
  /** How the user signed in. */
  via: "oidc" | "development";
}

/** One console session. */
export interface ConsoleSession {
  /** Random id: recorded as the session's token id in the audit (`jti`). */
  id: string;
  user: ConsoleUser;
  /** The purpose of use chosen for this session; undefined until chosen. */
  purpose?: Purpose;
  /** The session-bound CSRF token every form carries. */
  csrf: string;
}

/** The cookie names: `__Host-` prefixed when Secure. */
export const SESSION_COOKIE = "tfg-console";
const secureName = (name: string) => `__Host-${name}`;

/** True when cookies for this request may be sent without Secure: plain http to this machine only. */
export function insecureLocal(url: string): boolean {
  const u = new URL(url);
  return u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
}

/** The name a cookie has on this request (`__Host-name` unless insecure-local). */
export const cookieName = (c: Context, name: string) => (insecureLocal(c.req.url) ? name : secureName(name));

/** A random base64url string of `bytes` bytes. */
export function randomToken(bytes = 32): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...b))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Seals and opens console cookies with one key. */
export class CookieSealer {
  constructor(private readonly key: Uint8Array) {}

  /** Encrypts `payload` for `purpose` (the JWE's `aud`, so a sign-in cookie never opens as a session). */
  seal(purpose: string, payload: Record<string, unknown>, seconds: number): Promise<string> {
    return new EncryptJWT(payload)
      .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: "tfg-console" })
      .setAudience(purpose)
      .setIssuedAt()
      .setExpirationTime(`${seconds}s`)
      .encrypt(this.key);
  }

  /** The payload, or undefined for a cookie that is missing, forged, expired or of another purpose. */
  async open(purpose: string, value: string | undefined): Promise<Record<string, unknown> | undefined> {
    if (!value || value.length > 8192) return undefined;
    try {
      const { payload } = await jwtDecrypt(value, this.key, {
        audience: purpose,
        keyManagementAlgorithms: ["dir"],
        contentEncryptionAlgorithms: ["A256GCM"],
      });
      return payload as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
}

const oneOf = <T extends string>(list: readonly T[], v: unknown): v is T =>
  typeof v === "string" && list.includes(v as T);

/** The session in a decrypted payload, checked field by field (a cookie from an older build reads as none). */
function sessionOf(p: Record<string, unknown> | undefined): ConsoleSession | undefined {
  const u = p?.user as Record<string, unknown> | undefined;
  if (!p || !u || typeof p.sid !== "string" || typeof p.csrf !== "string") return undefined;
  if (typeof u.subject !== "string" || typeof u.issuer !== "string" || typeof u.org !== "string") return undefined;
  if (!oneOf(ORG_TYPES, u.orgType) || !oneOf(ROLES, u.role)) return undefined;
  const purposes = Array.isArray(u.purposes) ? u.purposes.filter((x) => oneOf(PURPOSES, x)) : [];
  const user: ConsoleUser = {
    subject: u.subject,
    issuer: u.issuer,
    org: u.org,
    orgType: u.orgType,
    role: u.role,
    purposes,
    via: u.via === "oidc" ? "oidc" : "development",
  };
  const purpose = oneOf(PURPOSES, p.purpose) && purposes.includes(p.purpose) ? p.purpose : undefined;
  return { id: p.sid, user, csrf: p.csrf, ...(purpose ? { purpose } : {}) };
}

/** Reads, writes and clears the session cookie. */
export class SessionStore {
  constructor(
    private readonly sealer: CookieSealer,
    private readonly seconds: number,
  ) {}

  /** The request's session, if its cookie is good. */
  async read(c: Context): Promise<ConsoleSession | undefined> {
    return sessionOf(await this.sealer.open("session", getCookie(c, cookieName(c, SESSION_COOKIE))));
  }

  /** Sets the session cookie. */
  async write(c: Context, s: ConsoleSession): Promise<void> {
    const value = await this.sealer.seal(
      "session",
      { sid: s.id, user: s.user, csrf: s.csrf, ...(s.purpose ? { purpose: s.purpose } : {}) },
      this.seconds,
    );
    setCookie(c, cookieName(c, SESSION_COOKIE), value, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: !insecureLocal(c.req.url),
      maxAge: this.seconds,
    });
  }

  /** Clears the session cookie (sign-out). */
  clear(c: Context): void {
    deleteCookie(c, cookieName(c, SESSION_COOKIE), { path: "/", secure: !insecureLocal(c.req.url) });
  }
}

/** A new session for `user` with a fresh id and CSRF token. */
export const newSession = (user: ConsoleUser): ConsoleSession => ({
  id: randomToken(16),
  user,
  csrf: randomToken(32),
  ...(user.purposes.length === 1 ? { purpose: user.purposes[0] as Purpose } : {}),
});

/** The session as the Actor every service function takes: the same shape as an API token's actor. */
export function actorOf(s: ConsoleSession & { purpose: Purpose }): Actor {
  return {
    subject: s.user.subject,
    issuer: s.user.issuer,
    org: s.user.org,
    orgType: s.user.orgType,
    role: s.user.role,
    purposeOfUse: s.purpose,
    tokenId: { kind: "jti", value: `console-session-${s.id}` },
  };
}
