/** Returns settings from the environment: pseudonym keys per return kind, national endpoints, retry schedule. */
import { base64url, type JWK } from "jose";
import { z } from "zod";
import { positiveSetting } from "../../settings-int.js";
import { type PseudonymKey, RETURN_KINDS, type ReturnKeys, type ReturnKind } from "../port.js";
import { parseSchedule, type ScheduleEntry } from "./schedule.js";

/** Where one kind of return is submitted. */
export interface ReturnEndpoint {
  /** The national submission endpoint (https; http only for localhost). */
  url: string;
  /** A recipient's public JWK: when set the signed file is also encrypted to it (JWE, ECDH-ES+A256KW or RSA-OAEP-256). */
  encryptTo?: JWK;
}

/** The returns settings. */
export interface ReturnSettings {
  /** Per kind, the keys in order: the first is current, the rest are earlier keys kept for their ids (rotation). */
  keys: Partial<Record<ReturnKind, PseudonymKey[]>>;
  endpoints: Partial<Record<ReturnKind, ReturnEndpoint>>;
  /** Attempts per submission (TFG_RETURN_SUBMIT_ATTEMPTS, default 4) and the first retry delay in ms (doubled). */
  submitAttempts: number;
  retryBaseMs: number;
  /** Time allowed for one POST to the endpoint, in seconds (TFG_RETURN_SUBMIT_TIMEOUT_SECONDS, default 30). */
  timeoutSeconds: number;
  /** Returns built on a schedule (TFG_RETURN_SCHEDULE; src/returns/jobs/schedule.ts). */
  schedule: ScheduleEntry[];
  /**
   * Seconds a build may go without writing an event (progress comes at least once per page it reads) before it is
   * taken for abandoned — its process crashed or was stopped — and queued again (TFG_RETURN_BUILD_LEASE_SECONDS,
   * default 900; src/returns/jobs/recover.ts).
   */
  buildLeaseSeconds: number;
  /** Days a built job's files are kept before they are deleted (TFG_RETURN_FILE_RETENTION_DAYS, default 90). */
  fileRetentionDays: number;
}

/** Shortest accepted HMAC key: 256 bits (RFC 2104 §3: at least the hash's output length). */
export const MIN_KEY_BYTES = 32;

const kindSchema = z.enum(RETURN_KINDS);
/** A key id as the pseudonymiser prefixes it to every pseudonym (src/returns/anon/pseudonym.ts). */
const keySchema = z.object({ id: z.string().regex(/^[A-Za-z0-9-]{1,16}$/), secret: z.string().min(1) });
const keysSchema = z.partialRecord(kindSchema, z.array(keySchema).min(1));
const endpointSchema = z.object({
  url: z.url().refine((u) => u.startsWith("https://") || /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/.test(u), {
    message: "must be https (http only for localhost)",
  }),
  encryptTo: z.record(z.string(), z.unknown()).optional(),
});
const endpointsSchema = z.partialRecord(kindSchema, endpointSchema);

const positive = positiveSetting;

function parseJson<T>(
  raw: string | undefined,
  schema: z.ZodType<T>,
  name: string,
  example: string,
  problems: string[],
) {
  if (!raw) return undefined;
  try {
    return schema.parse(JSON.parse(raw));
  } catch {
    problems.push(`${name}: must be JSON like ${example}`);
    return undefined;
  }
}

/** Reads TFG_RETURN_KEYS, TFG_RETURN_ENDPOINTS and the submission schedule; problems name the variable, never a secret. */
export function parseReturnSettings(env: Record<string, string | undefined>): {
  settings: ReturnSettings;
  problems: string[];
} {
  const problems: string[] = [];
  const keys: ReturnSettings["keys"] = {};
  const rawKeys = parseJson(
    env.TFG_RETURN_KEYS,
    keysSchema,
    "TFG_RETURN_KEYS",
    '{"mh-children":[{"id":"2026q4","secret":"<base64url, 32+ bytes>"}]}',
    problems,
  );
  for (const [kind, list] of Object.entries(rawKeys ?? {}) as [ReturnKind, z.infer<typeof keySchema>[]][]) {
    const parsed: PseudonymKey[] = [];
    for (const k of list) {
      let secret: Uint8Array;
      try {
        secret = base64url.decode(k.secret);
      } catch {
        problems.push(`TFG_RETURN_KEYS: key ${k.id} of ${kind} is not base64url`);
        continue;
      }
      if (secret.length < MIN_KEY_BYTES)
        problems.push(`TFG_RETURN_KEYS: key ${k.id} of ${kind} is shorter than 32 bytes`);
      else parsed.push({ id: k.id, secret });
    }
    if (new Set(list.map((k) => k.id)).size !== list.length) problems.push(`TFG_RETURN_KEYS: ${kind} repeats a key id`);
    if (parsed.length > 0) keys[kind] = parsed;
  }
  // One key serves one return: the same secret under two kinds would let their pseudonyms be joined.
  const secrets = Object.values(keys).flatMap((list) => (list ?? []).map((k) => base64url.encode(k.secret)));
  if (new Set(secrets).size !== secrets.length) problems.push("TFG_RETURN_KEYS: a secret is used more than once");
  const endpoints = (parseJson(
    env.TFG_RETURN_ENDPOINTS,
    endpointsSchema,
    "TFG_RETURN_ENDPOINTS",
    '{"ndtms":{"url":"https://submit.example.org/ndtms"}}',
    problems,
  ) ?? {}) as ReturnSettings["endpoints"];
  const schedule = parseSchedule(env.TFG_RETURN_SCHEDULE);
  problems.push(...schedule.problems);
  return {
    settings: {
      keys,
      endpoints,
      submitAttempts: positive(env, "TFG_RETURN_SUBMIT_ATTEMPTS", 4, problems),
      retryBaseMs: positive(env, "TFG_RETURN_RETRY_MS", 1000, problems),
      timeoutSeconds: positive(env, "TFG_RETURN_SUBMIT_TIMEOUT_SECONDS", 30, problems),
      schedule: schedule.entries,
      buildLeaseSeconds: positive(env, "TFG_RETURN_BUILD_LEASE_SECONDS", 900, problems),
      fileRetentionDays: positive(env, "TFG_RETURN_FILE_RETENTION_DAYS", 90, problems),
    },
    problems,
  };
}

/** The settings with nothing configured: builds are refused (no key) and nothing can be submitted. */
export const NO_RETURN_SETTINGS: ReturnSettings = {
  keys: {},
  endpoints: {},
  submitAttempts: 4,
  retryBaseMs: 1000,
  timeoutSeconds: 30,
  schedule: [],
  buildLeaseSeconds: 900,
  fileRetentionDays: 90,
};

/** The current key of each kind, as builders ask for it. */
export function returnKeys(settings: ReturnSettings): ReturnKeys {
  return { keyFor: (kind) => settings.keys[kind]?.[0] };
}
