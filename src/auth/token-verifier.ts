/**
 * Bearer token verification with jose (RFC 7519, RFC 8725): configured issuers only, each with a
 * JWKS (a URL, fetched and cached, or an inline key set), an algorithm allow-list, a strict compact
 * JWS shape (three unpadded base64url parts), checks of iss, aud, exp and nbf with a small clock skew,
 * a required `iat` and a maximum lifetime (`exp − iat`, and the token's age through jose's `maxTokenAge`).
 * Every failure is a 401 with a non-identifying reason.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { forbidden, GatewayError, unauthorized } from "../fhir/errors.js";
import { sha256Hex } from "../store/hash-chain.js";
import { type Actor, actorClaims, PURPOSES, type Purpose } from "./actor.js";

/** Asymmetric algorithms accepted unless an issuer narrows them. Symmetric (HS*) and `none` never are. */
export const DEFAULT_ALGORITHMS = ["RS256", "PS256", "ES256", "ES384", "EdDSA"];

/** One trusted token issuer. */
export interface IssuerConfig {
  issuer: string;
  audience: string | string[];
  /** A JWKS endpoint; keys are cached and refetched on an unknown `kid`. */
  jwksUrl?: string;
  /** An inline key set (e.g. read from a local JWKS file at start-up). */
  jwks?: JSONWebKeySet;
  algorithms?: string[];
}

/** Authentication settings. */
export interface AuthConfig {
  issuers: IssuerConfig[];
  /** Allowed clock skew for exp/nbf/iat, in seconds. */
  clockToleranceSeconds: number;
  /** Longest token lifetime accepted (`exp − iat`, and `now − iat`), in seconds; default 3600. */
  maxTokenLifetimeSeconds?: number;
}

/** A compact JWS (RFC 7515 §7.1): three base64url parts without padding, the signature not empty. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Default for {@link AuthConfig.maxTokenLifetimeSeconds}. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 3600;

/** Verifies a bearer token and returns the actor; `purposeHeader` is the request's X-Purpose-Of-Use. */
export type TokenVerifier = (token: string, purposeHeader?: string) => Promise<Actor>;

/** Builds a verifier for the configured issuers. Key sets are created once and shared by all requests. */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const issuers = new Map<string, { cfg: IssuerConfig; keys: JWTVerifyGetKey; algorithms: string[] }>();
  for (const cfg of config.issuers) {
    const keys = cfg.jwksUrl
      ? createRemoteJWKSet(new URL(cfg.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 })
      : cfg.jwks
        ? createLocalJWKSet(cfg.jwks)
        : undefined;
    if (!keys) throw new Error(`Issuer configuration needs jwksUrl or jwks (${cfg.issuer})`);
    const algorithms = (cfg.algorithms ?? DEFAULT_ALGORITHMS).filter((a) => !/^(HS|none)/i.test(a));
    issuers.set(cfg.issuer, { cfg, keys, algorithms });
  }

  // Verified tokens are remembered until they expire (bounded), so a client's burst of requests pays
  // for one signature check. Only successes are cached; every entry still honours `exp`.
  const verified = new Map<string, { actor: Actor; expiresAt: number }>();
  const remember = (key: string, actor: Actor, exp: unknown) => {
    if (typeof exp !== "number") return;
    if (verified.size >= 10_000) verified.delete(verified.keys().next().value as string);
    verified.set(key, { actor, expiresAt: exp * 1000 });
  };

  const maxLifetime = config.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;

  return async (token, purposeHeader) => {
    // Base64url padding, stray characters or an empty signature: jose's decoder is lenient about some of
    // these, so the shape is checked first (a token with "==" appended is not the token that was signed).
    if (!COMPACT_JWS.test(token)) throw unauthorized("The bearer token is malformed: not a signed compact JWT");
    const cacheKey = `${purposeHeader ?? ""} ${token}`;
    const hit = verified.get(cacheKey);
    if (hit) {
      if (Date.now() < hit.expiresAt) return hit.actor;
      verified.delete(cacheKey);
    }
    let iss: unknown;
    try {
      const header = decodeProtectedHeader(token);
      if (!header.alg || header.alg.toLowerCase() === "none") throw unauthorized("Unsigned tokens are not accepted");
      iss = decodeJwt(token).iss;
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw unauthorized("The bearer token is malformed");
    }
    const entry = typeof iss === "string" ? issuers.get(iss) : undefined;
    if (!entry) throw unauthorized("The token's issuer is not trusted");

    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, entry.keys, {
        issuer: entry.cfg.issuer,
        audience: entry.cfg.audience,
        algorithms: entry.algorithms,
        clockTolerance: config.clockToleranceSeconds,
        requiredClaims: ["exp", "iat", "sub"],
        maxTokenAge: maxLifetime,
      }));
    } catch (err) {
      throw unauthorized(describeJoseError(err));
    }
    // jose bounds the token's age (now − iat); the lifetime it was issued with must be bounded too, or an
    // `exp` of 1e300 issued a second ago would be good for ever.
    if ((payload.exp as number) - (payload.iat as number) > maxLifetime) {
      throw unauthorized(`The token's lifetime (exp - iat) exceeds the maximum of ${maxLifetime} seconds`);
    }

    const parsed = actorClaims.safeParse(payload);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? "claims")))].join(", ");
      throw unauthorized(`The token lacks valid claims: ${fields}`);
    }
    const claims = parsed.data;
    const actor: Actor = {
      subject: claims.sub,
      issuer: claims.iss,
      org: claims.org,
      orgType: claims.org_type,
      role: claims.role,
      purposeOfUse: choosePurpose(claims, purposeHeader),
      tokenId: claims.jti ? { kind: "jti", value: claims.jti } : { kind: "sha256", value: sha256Hex(token) },
    };
    remember(cacheKey, actor, payload.exp);
    return actor;
  };
}

function choosePurpose(claims: { purpose_of_use?: Purpose; purposes?: Purpose[] }, header?: string): Purpose {
  if (header !== undefined) {
    const wanted = header.trim() as Purpose;
    if (!PURPOSES.includes(wanted)) throw forbidden("X-Purpose-Of-Use is not a known purpose of use");
    if (claims.purpose_of_use ? claims.purpose_of_use !== wanted : !claims.purposes?.includes(wanted)) {
      throw forbidden("The token does not permit this purpose of use");
    }
    return wanted;
  }
  if (claims.purpose_of_use) return claims.purpose_of_use;
  if (claims.purposes?.length === 1) return claims.purposes[0] as Purpose;
  throw forbidden("State a purpose of use with the X-Purpose-Of-Use header");
}

function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) {
    return err.claim === "iat" ? "The token is older than the maximum token lifetime" : "The token has expired";
  }
  if (err instanceof errors.JWTClaimValidationFailed) return `The token's ${err.claim} claim is not acceptable`;
  if (err instanceof errors.JOSEAlgNotAllowed) return "The token's signing algorithm is not allowed";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "The token's signature is invalid";
  if (err instanceof errors.JWKSNoMatchingKey) return "No trusted key matches the token";
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JOSEError) return "The token could not be verified";
  return "The token could not be verified";
}
