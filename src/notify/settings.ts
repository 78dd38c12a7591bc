/** Notification settings from the environment (README "Configuration"): the signing key and the delivery schedule. */
import type { JWK } from "jose";
import { positiveSetting } from "../settings-int.js";

/** How notifications are signed and delivered. */
export interface NotifySettings {
  /** Private JWKs from TFG_SIGNING_JWK: the first signs, every one's public half is served at /.well-known/jwks.json. */
  signingKeys: JWK[];
  /** Attempts before a message is dead-lettered (TFG_NOTIFY_MAX_ATTEMPTS, default 8). */
  maxAttempts: number;
  /** First retry delay in seconds, doubled per attempt (TFG_NOTIFY_RETRY_SECONDS, default 30). */
  retryBaseSeconds: number;
  /** Longest retry delay in seconds (TFG_NOTIFY_RETRY_MAX_SECONDS, default 21600 = 6 h). */
  retryMaxSeconds: number;
  /** How long a claimed message stays leased to one deliverer (TFG_NOTIFY_LEASE_SECONDS, default 120). */
  leaseSeconds: number;
  /** Time allowed for one POST to an endpoint (TFG_NOTIFY_TIMEOUT_SECONDS, default 10). */
  timeoutSeconds: number;
  /** Node: seconds between delivery passes (TFG_NOTIFY_INTERVAL_SECONDS, default 15). */
  intervalSeconds: number;
}

const SIGNING_ALGS = new Set(["ES256", "RS256"]);

/** The algorithm a signing key is used with: its `alg`, else ES256 for a P-256 EC key and RS256 for RSA. */
export function signingAlg(jwk: JWK): string | undefined {
  if (jwk.alg) return SIGNING_ALGS.has(jwk.alg) ? jwk.alg : undefined;
  if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
  if (jwk.kty === "RSA") return "RS256";
  return undefined;
}

const positive = positiveSetting;

function signingKeys(raw: string | undefined, problems: string[]): JWK[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push("TFG_SIGNING_JWK: must be a private JWK as JSON, or a JWK set {keys: [...]}");
    return [];
  }
  const keys = (parsed as { keys?: unknown }).keys ?? [parsed];
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== "object" || k === null)) {
    problems.push("TFG_SIGNING_JWK: must be a private JWK as JSON, or a JWK set {keys: [...]}");
    return [];
  }
  const jwks = keys as JWK[];
  jwks.forEach((k, i) => {
    // The message names the key's place, never its material.
    if (typeof k.kid !== "string" || k.kid === "") problems.push(`TFG_SIGNING_JWK: key ${i} needs a kid`);
    if (!signingAlg(k)) problems.push(`TFG_SIGNING_JWK: key ${i} must be an ES256 (EC P-256) or RS256 (RSA) key`);
  });
  if (jwks[0] && typeof jwks[0].d !== "string") problems.push("TFG_SIGNING_JWK: the first key must be a private key");
  return jwks;
}

/** Reads the notification settings; problems are returned (never thrown) so the caller reports them with the rest. */
export function parseNotifySettings(env: Record<string, string>): { settings: NotifySettings; problems: string[] } {
  const problems: string[] = [];
  const settings: NotifySettings = {
    signingKeys: signingKeys(env.TFG_SIGNING_JWK, problems),
    maxAttempts: positive(env, "TFG_NOTIFY_MAX_ATTEMPTS", 8, problems),
    retryBaseSeconds: positive(env, "TFG_NOTIFY_RETRY_SECONDS", 30, problems),
    retryMaxSeconds: positive(env, "TFG_NOTIFY_RETRY_MAX_SECONDS", 6 * 3600, problems),
    leaseSeconds: positive(env, "TFG_NOTIFY_LEASE_SECONDS", 120, problems),
    timeoutSeconds: positive(env, "TFG_NOTIFY_TIMEOUT_SECONDS", 10, problems),
    intervalSeconds: positive(env, "TFG_NOTIFY_INTERVAL_SECONDS", 15, problems),
  };
  return { settings, problems };
}
