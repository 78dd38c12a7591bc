/**
 * The development token issuer: an ES256 key pair kept under the data folder, created on first
 * run. For local use only — it lets anyone with the data folder mint tokens. Never enable it in production.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import type { IssuerConfig } from "../auth/token-verifier.js";

/** The development issuer's `iss`. */
export const DEV_ISSUER = "urn:think-family-gateway:dev-issuer";
/** The audience development tokens carry. */
export const DEV_AUDIENCE = "think-family-gateway";

const keyFile = (dataDir: string) => join(dataDir, "dev-signing-key.json");

/** Loads the development private key, creating it (mode 0600) if absent. */
export async function ensureDevKey(dataDir: string): Promise<JWK> {
  const file = keyFile(dataDir);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as JWK;
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: "ES256", kid: `dev-${Date.now().toString(36)}`, use: "sig" };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600 });
  return jwk;
}

/** The issuer configuration that trusts the development key. */
export function devIssuerConfig(privateJwk: JWK): IssuerConfig {
  const { d: _d, ...publicJwk } = privateJwk;
  return { issuer: DEV_ISSUER, audience: DEV_AUDIENCE, jwks: { keys: [publicJwk] }, algorithms: ["ES256"] };
}

/** Claims for a development token. */
export interface DevTokenClaims {
  sub: string;
  org: string;
  org_type: string;
  role: string;
  purpose_of_use?: string;
  purposes?: string[];
}

/** Signs a development token with the key under `dataDir`. */
export async function mintDevToken(dataDir: string, claims: DevTokenClaims, ttlSeconds = 3600): Promise<string> {
  const file = keyFile(dataDir);
  if (!existsSync(file)) throw new Error(`No development key at ${file}: start the gateway once with npm start`);
  const jwk = JSON.parse(readFileSync(file, "utf8")) as JWK;
  const key = await importJWK(jwk, "ES256");
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid ?? "dev", typ: "JWT" })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setSubject(claims.sub)
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key);
}
