/**
 * The gateway's notification signature: a JWS (RFC 7515, jose) over the exact bytes of the notification body,
 * sent detached (RFC 7515 Appendix F: `header..signature`) so the body stays a FHIR Bundle any client parses.
 */
import { base64url, CompactSign, importJWK, type JWK } from "jose";
import { signingAlg } from "./settings.js";

/** Members of a JWK that are private key material, never served. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

/** The public half of a JWK, marked for signatures with its algorithm. */
export function publicJwk(jwk: JWK): JWK {
  const out: JWK = { ...jwk };
  for (const m of PRIVATE_MEMBERS) delete (out as Record<string, unknown>)[m];
  return { ...out, use: "sig", alg: signingAlg(jwk) ?? "ES256" };
}

/** The key set served at `/.well-known/jwks.json`: the public half of every configured key (none without a key). */
export function publicJwks(keys: readonly JWK[]): { keys: JWK[] } {
  return { keys: keys.map(publicJwk) };
}

/** Signs notification bodies with the gateway's current key. */
export interface NotificationSigner {
  readonly kid: string;
  readonly alg: string;
  /** A detached compact JWS (`protected..signature`) over `body`, its `cty` the body's media type (default FHIR JSON). */
  signDetached(body: Uint8Array, cty?: string): Promise<string>;
}

/** The signer for the first configured key, or undefined when no key is configured (nothing can be delivered). */
export async function createSigner(keys: readonly JWK[]): Promise<NotificationSigner | undefined> {
  const jwk = keys[0];
  if (!jwk) return undefined;
  const alg = signingAlg(jwk) ?? "ES256";
  const kid = jwk.kid ?? "";
  const key = await importJWK(jwk, alg);
  return {
    kid,
    alg,
    async signDetached(body, cty = "application/fhir+json") {
      const jws = await new CompactSign(body).setProtectedHeader({ alg, kid, cty }).sign(key);
      const [header, , signature] = jws.split(".");
      return `${header}..${signature}`;
    },
  };
}

/** Puts a detached JWS's payload back (base64url of `body`), giving the compact JWS a verifier checks. */
export function attachPayload(detached: string, body: Uint8Array): string {
  const [header, , signature] = detached.split(".");
  return `${header}.${base64url.encode(body)}.${signature}`;
}
