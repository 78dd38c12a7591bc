/** pino on Node: JSON lines with redaction of identifying fields and values (see src/log/redact.ts). */
import pino from "pino";
import type { Logger } from "../log/logger.js";
import { scrubRecord, scrubText } from "../log/redact.js";

/** The Logger port over a pino instance; a child's bindings are scrubbed before pino serialises them. */
function asLogger(p: pino.Logger): Logger {
  return {
    debug: p.debug.bind(p),
    info: p.info.bind(p),
    warn: p.warn.bind(p),
    error: p.error.bind(p),
    // pino applies `formatters.bindings` to the root's bindings only, so a child's are scrubbed here.
    child: (bindings) => asLogger(p.child(scrubRecord(bindings) as Record<string, unknown>)),
  };
}

/**
 * Creates the Node logger. `destination` defaults to stdout; tests pass a stream to read lines back.
 *
 * Redaction is {@link scrubRecord} on every record (`formatters.log`) and on every logger's bindings, and
 * {@link scrubText} on every message: sensitive keys at any depth and in any case, identifying patterns in every
 * string. pino's own `redact` paths are not used: they covered a subset of those keys (top level and one level down)
 * a second time, and with wildcard paths pino ran them over every field of every record.
 */
export function createNodeLogger(level: string, destination?: pino.DestinationStream): Logger {
  return asLogger(
    pino(
      {
        level,
        base: { service: "think-family-gateway" },
        formatters: {
          bindings: (bindings) => scrubRecord(bindings) as Record<string, unknown>,
          log: (obj) => scrubRecord(obj) as Record<string, unknown>,
        },
        hooks: {
          logMethod(args, method) {
            method.apply(
              this,
              args.map((a) => (typeof a === "string" ? scrubText(a) : a)) as Parameters<typeof method>,
            );
          },
        },
        serializers: { err: (e: unknown) => scrubRecord(e) },
      },
      destination ?? pino.destination({ sync: false }),
    ),
  );
}
