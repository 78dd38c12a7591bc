/** Node entry point: serves the gateway with @hono/node-server on SQLite (default) or PostgreSQL, in one process or several (TFG_WORKERS). */
import cluster from "node:cluster";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { serve } from "@hono/node-server";
import { base64url, exportJWK, generateKeyPair } from "jose";
import { buildApp, returnsService } from "../app.js";
import { createTokenVerifier } from "../auth/token-verifier.js";
import { parseConfig } from "../config.js";
import { reindexIfStale } from "../fhir/search-reindex.js";
import { inProcess } from "../http/returns-routes.js";
import type { Logger } from "../log/logger.js";
import { deliveryDeps, startDeliveryLoop } from "../notify/loop.js";
import { parseReturnSettings, type ReturnSettings } from "../returns/jobs/settings.js";
import { RETURN_KINDS } from "../returns/port.js";
import { auditRoutedStore } from "../store/audit-routed.js";
import type { Store } from "../store/port.js";
import { openPostgresStore } from "../store/postgres/index.js";
import { openSqliteStore } from "../store/sqlite/index.js";
import { answerClientErrors } from "./client-errors.js";
import { readConsoleAssets } from "./console-assets.js";
import { devIssuerConfig, ensureDevKey } from "./dev-issuer.js";
import { loadMigrations } from "./migration-files.js";
import { createNodeLogger } from "./node-logger.js";

/** Options for starting the Node server (tests pass their own env and logger). */
export interface NodeServerOptions {
  env?: Record<string, string | undefined>;
  devIssuer?: boolean;
  logger?: Logger;
  /** Runs the notification delivery loop (default: TFG_NOTIFY_DELIVERY = on; `npm start` and `npm run serve` turn it on). */
  deliver?: boolean;
}

/** A running gateway. */
export interface RunningServer {
  url: string;
  store: Store;
  close(): Promise<void>;
}

/** Replaces `jwksFile` in TFG_AUTH_ISSUERS with the key set read from that file. */
function inlineJwksFiles(raw: string | undefined): string | undefined {
  if (!raw) return raw;
  const issuers = JSON.parse(raw) as Record<string, unknown>[];
  return JSON.stringify(
    issuers.map(({ jwksFile, ...rest }) =>
      typeof jwksFile === "string" ? { ...rest, jwks: JSON.parse(readFileSync(jwksFile, "utf8")) } : rest,
    ),
  );
}

/**
 * The environment as the core reads it: `jwksFile`s of TFG_AUTH_ISSUERS inlined, and the area's sharing protocol
 * `TFG_POLICY_FILE` read into `TFG_POLICY` (named by its path in any problem; a file that cannot be read stops the
 * start, naming the variable and the path).
 */
export function nodeEnv(source: Record<string, string | undefined>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...source,
    TFG_AUTH_ISSUERS: inlineJwksFiles(source.TFG_AUTH_ISSUERS),
  };
  const file = source.TFG_POLICY_FILE;
  if (file) {
    try {
      env.TFG_POLICY = readFileSync(file, "utf8");
    } catch (err) {
      throw new Error(`TFG_POLICY_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
    env.TFG_POLICY_NAME = file;
  }
  return env;
}

/** Opens the store the environment selects: PostgreSQL when TFG_DATABASE_URL is set, else SQLite under the data folder. */
export async function openNodeStore(env: Record<string, string | undefined>, dataDir: string): Promise<Store> {
  const migrations = loadMigrations();
  if (env.TFG_DATABASE_URL) return openPostgresStore(env.TFG_DATABASE_URL, migrations);
  mkdirSync(dataDir, { recursive: true });
  return openSqliteStores(dataDir);
}

/**
 * The SQLite store under `dataDir`: the data in `tfg.sqlite`, the audit trail in `audit.sqlite` (src/store/audit-routed.ts),
 * so a read's audit entry never waits for a long ingest's write lock on the data.
 */
export async function openSqliteStores(dataDir: string, writeWaitMs?: number): Promise<Store> {
  const migrations = loadMigrations();
  const main = await openSqliteStore(resolve(dataDir, "tfg.sqlite"), migrations, undefined, writeWaitMs);
  const audit = await openSqliteStore(resolve(dataDir, "audit.sqlite"), migrations, undefined, writeWaitMs);
  return auditRoutedStore(main, audit);
}

/**
 * Development pseudonym keys for national returns, one per kind, kept (mode 0600) under the data folder so a
 * return's pseudonyms stay the same from run to run. For local use only, as the development issuer is.
 */
export function ensureDevReturnKeys(dataDir: string): ReturnSettings["keys"] {
  const file = resolve(dataDir, "dev-return-keys.json");
  if (!existsSync(file)) {
    const keys = Object.fromEntries(
      RETURN_KINDS.map((kind, i) => [
        kind,
        [{ id: `dev-${i + 1}`, secret: base64url.encode(crypto.getRandomValues(new Uint8Array(32))) }],
      ]),
    );
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  }
  const { settings, problems } = parseReturnSettings({ TFG_RETURN_KEYS: readFileSync(file, "utf8") });
  if (problems.length > 0) throw new Error(`${file}: ${problems.join("; ")} (delete it to make new keys)`);
  return settings.keys;
}

/** Starts the gateway and resolves once it listens. */
export async function startNodeServer(options: NodeServerOptions = {}): Promise<RunningServer> {
  const env = nodeEnv(options.env ?? process.env);
  const config = parseConfig(env);
  const logger = options.logger ?? createNodeLogger(config.logLevel);
  const dataDir = resolve(env.TFG_DATA_DIR ?? "data");
  const devIssuer = options.devIssuer ?? env.TFG_DEV_ISSUER === "on";
  if (devIssuer) {
    config.issuers.push(devIssuerConfig(await ensureDevKey(dataDir)));
    logger.warn({ issuer: "development" }, "development token issuer is ON: never use this in production");
    // The console's development sign-in goes with the development issuer (docs/CONSOLE.md).
    config.console.devSignIn = true;
  }
  if (devIssuer && config.notify.signingKeys.length === 0) {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    config.notify.signingKeys = [
      { ...(await exportJWK(privateKey)), alg: "ES256", kid: `dev-notify-${Date.now().toString(36)}` },
    ];
    logger.warn(
      {},
      "development: generated a notification signing key for this run only; set TFG_SIGNING_JWK to keep one",
    );
  }
  if (devIssuer && Object.keys(config.returns.keys).length === 0) {
    config.returns.keys = ensureDevReturnKeys(dataDir);
    logger.warn(
      {},
      "development: national returns pseudonymise with keys kept under the data folder; set TFG_RETURN_KEYS",
    );
  }
  if (config.issuers.length === 0)
    logger.warn({}, "no token issuers configured: every authenticated route will answer 401");

  const store = await openNodeStore(env, dataDir);
  const reindexed = await reindexIfStale(store);
  if (reindexed) logger.info({ ...reindexed }, "search index rebuilt");
  const consoleAssets = readConsoleAssets();
  const app = buildApp({
    store,
    logger,
    config,
    verifyToken: createTokenVerifier(config),
    ...(consoleAssets ? { consoleAssets } : {}),
  });
  // Return builds a crash left "running" (or never started) are handed out again, and files past their retention
  // deleted (src/returns/jobs/recover.ts, retention.ts).
  returnsService({ store, logger, config, verifyToken: createTokenVerifier(config) })
    .housekeep(inProcess)
    .catch((err: unknown) => logger.warn({ error: (err as Error)?.name }, "return job recovery failed"));
  const notify =
    (options.deliver ?? env.TFG_NOTIFY_DELIVERY === "on")
      ? await deliveryDeps(store, config.notify, logger, config.baseUrl)
      : undefined;
  const loop = notify ? startDeliveryLoop(notify, config.notify.intervalSeconds) : undefined;
  const hostname = env.TFG_HOST ?? "127.0.0.1";
  const port = Number(env.TFG_PORT ?? 8787);

  return new Promise((resolveStart, rejectStart) => {
    const server = serve({ fetch: app.fetch, hostname, port }, (info) => {
      const url = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${info.port}`;
      logger.info({ url, store: env.TFG_DATABASE_URL ? "postgres" : "sqlite" }, "gateway listening");
      resolveStart({
        url,
        store,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => {
              const stopped = loop ? loop.stop() : Promise.resolve();
              stopped.then(() => store.close()).then(done, done);
            });
            (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
    server.on("error", rejectStart);
    answerClientErrors(server as Server, logger);
  });
}

/** Number of server processes from TFG_WORKERS (default 1); anything but a whole number from 1 to 64 is refused. */
export function workerCount(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 1;
  if (!/^\d{1,2}$/.test(raw) || Number(raw) < 1 || Number(raw) > 64) {
    throw new Error("TFG_WORKERS must be a whole number of server processes from 1 to 64");
  }
  return Number(raw);
}

/** Stops on SIGINT/SIGTERM by calling `close`, then exits; a second signal is ignored, 10 s later it exits anyway. */
function onStopSignals(close: () => Promise<number>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: finishing in-flight requests, then stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    close().then((code) => process.exit(code));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/**
 * The primary of TFG_WORKERS > 1 (node:cluster): checks the configuration, creates the development key, migrates and
 * reindexes the store once, then forks `workers` servers that share one listening port (Node hands each connection to
 * one of them). A signal stops them all; a worker that dies on its own stops the rest too (exit 1), so a supervisor
 * sees the failure instead of a gateway running short.
 */
async function runPrimary(workers: number, devIssuer: boolean): Promise<void> {
  const env = nodeEnv(process.env);
  const config = parseConfig(env);
  const logger = createNodeLogger(config.logLevel);
  const dataDir = resolve(env.TFG_DATA_DIR ?? "data");
  if (devIssuer) await ensureDevKey(dataDir);
  const store = await openNodeStore(env, dataDir);
  const reindexed = await reindexIfStale(store);
  if (reindexed) logger.info({ ...reindexed }, "search index rebuilt");
  await store.close();

  let stopping = false;
  let failed = false;
  let done: (code: number) => void = () => {};
  const allExited = new Promise<number>((r) => {
    done = r;
  });
  cluster.on("exit", (worker, code, signal) => {
    if (!stopping) {
      failed = true;
      logger.error({ pid: worker.process.pid, code, signal }, "a server process stopped: stopping the gateway");
      stopAll();
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) done(failed ? 1 : 0);
  });
  const stopAll = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
  };
  // One console cookie key for every server process (a browser's requests land on any of them).
  const consoleSecret = process.env.TFG_CONSOLE_SECRET || Buffer.from(randomBytes(32)).toString("base64url");
  for (let i = 0; i < workers; i++) cluster.fork({ TFG_CONSOLE_SECRET: consoleSecret });
  logger.info({ workers }, "gateway server processes started");
  onStopSignals(() => {
    stopAll();
    return allExited;
  });
  allExited.then((code) => process.exit(code));
}

async function main(): Promise<void> {
  const devIssuer = process.argv.includes("--dev-issuer") || undefined;
  const workers = workerCount(process.env.TFG_WORKERS);
  if (workers > 1 && cluster.isPrimary) return runPrimary(workers, devIssuer ?? process.env.TFG_DEV_ISSUER === "on");
  const running = await startNodeServer({ devIssuer, deliver: process.env.TFG_NOTIFY_DELIVERY !== "off" });
  onStopSignals(() => running.close().then(() => 0));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err) => {
    console.error(`Gateway failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
