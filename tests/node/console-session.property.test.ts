// Properties of the console's cookies and settings: a sealed session opens to itself; any change to the cookie, a
// cookie sealed for another purpose or with another key never opens; the CSRF comparison is exact; bad console
// settings are refused naming the variable, never its value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ORG_TYPES, PURPOSES, ROLES } from "../../src/auth/actor.js";
import { sameToken } from "../../src/console/csrf.js";
import { CookieSealer, randomToken } from "../../src/console/session.js";
import { parseConsoleSettings } from "../../src/console/settings.js";

const key = () => crypto.getRandomValues(new Uint8Array(32));
const user = fc.record({
  subject: fc.string({ minLength: 1, maxLength: 64 }),
  issuer: fc.webUrl(),
  org: fc.stringMatching(/^[A-Z0-9]{1,16}$/),
  orgType: fc.constantFrom(...ORG_TYPES),
  role: fc.constantFrom(...ROLES),
  purposes: fc.uniqueArray(fc.constantFrom(...PURPOSES), { minLength: 1 }),
});

describe("console cookies", () => {
  it("a sealed payload opens to itself, for its purpose only", async () => {
    const sealer = new CookieSealer(key());
    await fc.assert(
      fc.asyncProperty(user, async (u) => {
        const sealed = await sealer.seal("session", { sid: "s", user: u, csrf: "c" }, 60);
        const opened = await sealer.open("session", sealed);
        expect(opened?.user).toEqual(u);
        expect(await sealer.open("oidc-flow", sealed)).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });

  it("any change to a sealed cookie's bytes, or another key, and it does not open", async () => {
    const sealer = new CookieSealer(key());
    const other = new CookieSealer(key());
    const sealed = await sealer.seal("session", { sid: "s", user: { subject: "u" }, csrf: "c" }, 60);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: sealed.length - 1 }), fc.constantFrom(...alphabet), async (at, ch) => {
        fc.pre(sealed[at] !== "." && sealed[at] !== ch);
        const changed = sealed.slice(0, at) + ch + sealed.slice(at + 1);
        // A base64url segment's last character may carry unused bits: a change there can leave the bytes as they
        // were (the same cookie, not a forgery). Only changes to the bytes count.
        const bytes = (c: string) => c.split(".").map((seg) => Buffer.from(seg, "base64url").toString("hex"));
        fc.pre(bytes(changed).join(".") !== bytes(sealed).join("."));
        expect(await sealer.open("session", changed)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
    expect(await other.open("session", sealed)).toBeUndefined();
  });

  it("an expired cookie does not open", async () => {
    const sealer = new CookieSealer(key());
    const sealed = await sealer.seal("session", { sid: "s" }, -120);
    expect(await sealer.open("session", sealed)).toBeUndefined();
  });

  it("CSRF tokens compare equal only when identical", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(sameToken(a, b)).toBe(a === b && a.length > 0);
      }),
    );
    const t = randomToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sameToken(t, t)).toBe(true);
  });
});

describe("console settings", () => {
  it("refuses a secret that is not 32 bytes of base64url, naming the variable and not the value", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
        fc.pre(bytes.length !== 32 && bytes.length > 0);
        const secret = Buffer.from(bytes).toString("base64url");
        const { problems } = parseConsoleSettings({ TFG_CONSOLE_SECRET: secret });
        expect(problems).toEqual(["TFG_CONSOLE_SECRET: must be 32 bytes, base64url-encoded"]);
      }),
    );
    const good = Buffer.from(key()).toString("base64url");
    const { settings, problems } = parseConsoleSettings({ TFG_CONSOLE_SECRET: good });
    expect(problems).toEqual([]);
    expect(settings.secret).toHaveLength(32);
    expect(settings.devSignIn).toBe(false);
  });

  it("reads the OpenID Connect client, and refuses one without issuer or client id", () => {
    const ok = parseConsoleSettings({
      TFG_CONSOLE_OIDC: JSON.stringify({ issuer: "https://idp.example", clientId: "c" }),
    });
    expect(ok.settings.oidc).toEqual({ issuer: "https://idp.example", clientId: "c" });
    for (const bad of ["{", JSON.stringify({ issuer: "https://idp.example" }), JSON.stringify({ clientId: "c" })]) {
      const r = parseConsoleSettings({ TFG_CONSOLE_OIDC: bad });
      expect(r.problems[0]).toMatch(/^TFG_CONSOLE_OIDC: /);
      expect(r.settings.oidc).toBeUndefined();
    }
  });
});
