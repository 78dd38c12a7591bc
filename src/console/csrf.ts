/**
 * CSRF protection for console forms: every form carries a hidden `_csrf` field. Signed in, it must equal the token
 * bound to the session; before sign-in (the development sign-in form) it must equal a random double-submit cookie.
 * A POST whose Origin names another site is refused as well.
 */
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { forbidden } from "../fhir/errors.js";
import { cookieName, insecureLocal, randomToken } from "./session.js";

/** The hidden field every console form carries. */
export const CSRF_FIELD = "_csrf";
const PRE_COOKIE = "tfg-console-csrf";

/** Constant-time comparison of two strings. */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Refuses (403) a POST sent from another origin. */
export function checkOrigin(c: Context): void {
  const origin = c.req.header("Origin");
  if (origin === undefined || origin === "null") return;
  if (origin !== new URL(c.req.url).origin) throw forbidden("The form was sent from another site");
}

/** Refuses (403) a form whose `_csrf` is missing or is not `expected`. */
export function checkCsrf(c: Context, form: FormData | Record<string, unknown>, expected: string | undefined): void {
  checkOrigin(c);
  const given = form instanceof FormData ? form.get(CSRF_FIELD) : form[CSRF_FIELD];
  if (typeof given !== "string" || !expected || !sameToken(given, expected))
    throw forbidden("The form's security token is missing or out of date: go back, reload the page and try again", [
      CSRF_FIELD,
    ]);
}

/** The pre-sign-in double-submit token: the cookie's, or a new one set on the response. */
export function preSignInToken(c: Context): string {
  const name = cookieName(c, PRE_COOKIE);
  const current = getCookie(c, name);
  if (current && /^[A-Za-z0-9_-]{43}$/.test(current)) return current;
  const token = randomToken(32);
  setCookie(c, name, token, { path: "/", httpOnly: true, sameSite: "Lax", secure: !insecureLocal(c.req.url) });
  return token;
}

/** The pre-sign-in token the request's cookie holds, if any. */
export const preSignInCookie = (c: Context): string | undefined => getCookie(c, cookieName(c, PRE_COOKIE));
