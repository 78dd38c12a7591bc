/** pino on Node: JSON lines with redaction of identifying fields and values (see src/log/redact.ts). */
import pino from "pino";
import type { Logger } from "../log/logger.js";
import { CENSORED, PINO_REDACT_PATHS, scrubRecord, scrubText } from "../log/redact.js";

/** Creates the Node logger. `destination` defaults to stdout; tests pass a stream to read lines back. */
export function createNodeLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "think-family-gateway" },
      redact: { paths: PINO_REDACT_PATHS, censor: CENSORED },
      formatters: { log: (obj) => scrubRecord(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === "string" ? scrubText(a) : a)) as Parameters<typeof method>);
        },
      },
      serializers: { err: (e: unknown) => scrubRecord(e) },
    },
    destination ?? pino.destination({ sync: false }),
  ) as unknown as Logger;
}
