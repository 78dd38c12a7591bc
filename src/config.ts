/** Gateway configuration from environment variables, shared by every runtime (see README "Configuration"). */
import { z } from "zod";
import type { Submitters } from "./auth/ownership.js";
import type { IssuerConfig } from "./auth/token-verifier.js";
import { type ConsoleSettings, parseConsoleSettings } from "./console/settings.js";
import { isTimeZone } from "./fhir/search-dates.js";
import { type NotifySettings, parseNotifySettings } from "./notify/settings.js";
import { loadPolicy, PolicyLoadError } from "./policy/load.js";
import type { Policy } from "./policy/policy.js";
import { parseReturnSettings, type ReturnSettings } from "./returns/jobs/settings.js";

const issuerSchema = z.object({
  issuer: z.string().min(1),
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  jwksUrl: z.url().optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
  algorithms: z.array(z.string()).optional(),
});

const positiveInt = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return fallback;
      if (!/^\d+$/.test(v) || Number(v) < 1) {
        ctx.addIssue({ code: "custom", message: `${name} must be a positive integer` });
        return z.NEVER;
      }
      return Number(v);
    });

/** Hosts whose requests may build links when TFG_BASE_URL is not set: this machine only. */
const DEFAULT_ALLOWED_HOSTS = "localhost,127.0.0.1,[::1]";
const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

const orgCode = z.string().regex(/^[A-Za-z0-9]{1,16}$/);
const submittersSchema = z.record(orgCode, z.array(orgCode).min(1));

const envSchema = z.object({
  TFG_BASE_URL: z.url().optional(),
  TFG_BODY_LIMIT_BYTES: positiveInt("TFG_BODY_LIMIT_BYTES", 5 * 1024 * 1024),
  TFG_INGEST_LIMIT_BYTES: positiveInt("TFG_INGEST_LIMIT_BYTES", 512 * 1024 * 1024),
  TFG_PAGE_SIZE: positiveInt("TFG_PAGE_SIZE", 20),
  TFG_MAX_PAGE_SIZE: positiveInt("TFG_MAX_PAGE_SIZE", 500),
  TFG_CLOCK_SKEW_SECONDS: positiveInt("TFG_CLOCK_SKEW_SECONDS", 60),
  TFG_MAX_TOKEN_LIFETIME_SECONDS: positiveInt("TFG_MAX_TOKEN_LIFETIME_SECONDS", 3600),
  TFG_ALLOWED_HOSTS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const hosts = (v || DEFAULT_ALLOWED_HOSTS).split(",").map((h) => h.trim().toLowerCase());
      if (hosts.some((h) => !HOST.test(h))) {
        ctx.addIssue({
          code: "custom",
          message:
            "TFG_ALLOWED_HOSTS must be a comma-separated list of host names or host:port, e.g. gw.example.nhs.uk",
        });
        return z.NEVER;
      }
      return hosts;
    }),
  TFG_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  TFG_TIMEZONE: z
    .string()
    .optional()
    .transform((v) => v || "UTC")
    .refine(isTimeZone, { message: "TFG_TIMEZONE must be an IANA time zone, e.g. Europe/London" }),
  TFG_AUTH_ISSUERS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return [] as IssuerConfig[];
      try {
        return z.array(issuerSchema).parse(JSON.parse(v)) as IssuerConfig[];
      } catch {
        ctx.addIssue({
          code: "custom",
          message: "TFG_AUTH_ISSUERS must be a JSON array of {issuer, audience, jwksUrl|jwks}",
        });
        return z.NEVER;
      }
    }),
  TFG_INGEST_SUBMITTERS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return {} as Submitters;
      try {
        return submittersSchema.parse(JSON.parse(v)) as Submitters;
      } catch {
        ctx.addIssue({
          code: "custom",
          message:
            'TFG_INGEST_SUBMITTERS must be a JSON object of submitter organisation code to owner codes, e.g. {"RXX":["RX4","RXE"]}',
        });
        return z.NEVER;
      }
    }),
});

/** Runtime-neutral settings. */
export interface GatewayConfig {
  /** Public FHIR base URL for links, e.g. `https://gw.example.nhs.uk/fhir`. */
  baseUrl?: string;
  /**
   * Without `baseUrl`, the hosts (`name` for any port, or `name:port`) whose requests may build links from
   * their own `Host`; a request naming another host is refused, so a forged `Host` never reaches a link.
   */
  allowedHosts: string[];
  bodyLimitBytes: number;
  /** Largest ingest file accepted over HTTP (ingest streams, so this bounds time, not memory). */
  ingestLimitBytes: number;
  paging: { defaultCount: number; maxCount: number };
  clockToleranceSeconds: number;
  /** Longest token lifetime accepted (`exp − iat`, and the token's age), in seconds. */
  maxTokenLifetimeSeconds: number;
  logLevel: "debug" | "info" | "warn" | "error";
  issuers: IssuerConfig[];
  /** IANA zone that search dates without an offset (and stored dates without a time) are read in. */
  timeZone: string;
  /** Authorised submitters: organisation code → the owner organisations whose records it may send and write. */
  submitters: Submitters;
  /** Notification signing key and delivery schedule (src/notify/settings.ts). */
  notify: NotifySettings;
  /** National returns: pseudonym keys, submission endpoints and retries (src/returns/jobs/settings.ts). */
  returns: ReturnSettings;
  /** The web console's session key, OpenID Connect client and development sign-in (src/console/settings.ts). */
  console: ConsoleSettings;
  /**
   * An area's sharing protocol (`TFG_POLICY`, the YAML text of a policies/ file; on Node `TFG_POLICY_FILE` names
   * the file), checked when the configuration is read; absent: the built-in baseline (docs/POLICY.md).
   */
  policy?: Policy;
}

/** The area's sharing protocol from `TFG_POLICY` (named `TFG_POLICY_NAME` in its problems), or a problem naming its line. */
function parsePolicy(env: Record<string, string>): { policy?: Policy; problems: string[] } {
  const text = env.TFG_POLICY;
  if (text === undefined || text.trim() === "") return { problems: [] };
  try {
    return { policy: loadPolicy(text, env.TFG_POLICY_NAME || "TFG_POLICY"), problems: [] };
  } catch (err) {
    if (err instanceof PolicyLoadError) return { problems: [`TFG_POLICY: ${err.message.replace(/\n/g, "; ")}`] };
    throw err;
  }
}

/** Thrown with every configuration problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** Reads the gateway configuration from an environment record (process.env on Node, bindings on Workers). */
export function parseConfig(env: Record<string, unknown>): GatewayConfig {
  const strings = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === "string"));
  const r = envSchema.safeParse(strings);
  const notify = parseNotifySettings(strings as Record<string, string>);
  const returns = parseReturnSettings(strings as Record<string, string>);
  const consoleSettings = parseConsoleSettings(strings as Record<string, string>);
  const policy = parsePolicy(strings as Record<string, string>);
  const problems = [...notify.problems, ...returns.problems, ...consoleSettings.problems, ...policy.problems];
  if (!r.success || problems.length > 0) {
    throw new ConfigError([
      ...(r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)),
      ...problems,
    ]);
  }
  const e = r.data;
  return {
    ...(e.TFG_BASE_URL ? { baseUrl: e.TFG_BASE_URL.replace(/\/+$/, "") } : {}),
    bodyLimitBytes: e.TFG_BODY_LIMIT_BYTES,
    ingestLimitBytes: e.TFG_INGEST_LIMIT_BYTES,
    paging: { defaultCount: Math.min(e.TFG_PAGE_SIZE, e.TFG_MAX_PAGE_SIZE), maxCount: e.TFG_MAX_PAGE_SIZE },
    allowedHosts: e.TFG_ALLOWED_HOSTS,
    clockToleranceSeconds: e.TFG_CLOCK_SKEW_SECONDS,
    maxTokenLifetimeSeconds: e.TFG_MAX_TOKEN_LIFETIME_SECONDS,
    logLevel: e.TFG_LOG_LEVEL,
    issuers: e.TFG_AUTH_ISSUERS,
    timeZone: e.TFG_TIMEZONE,
    submitters: e.TFG_INGEST_SUBMITTERS,
    notify: notify.settings,
    returns: returns.settings,
    console: consoleSettings.settings,
    ...(policy.policy ? { policy: policy.policy } : {}),
  };
}
