/** A JSON-lines logger over `console`, for Workers: the same record shape and redaction as pino on Node. */
import type { Logger } from "./logger.js";
import { scrubRecord, scrubText } from "./redact.js";

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;
type Level = keyof typeof LEVELS;

/** Creates a console logger that emits pino-compatible JSON (`level`, `time`, `msg`, fields). */
export function consoleLogger(minLevel: Level = "info", bindings: Record<string, unknown> = {}): Logger {
  const emit = (level: Level) => (obj: Record<string, unknown>, msg?: string) => {
    if (LEVELS[level] < LEVELS[minLevel]) return;
    const record = {
      level: LEVELS[level],
      time: Date.now(),
      ...(scrubRecord(bindings) as object),
      ...(scrubRecord(obj) as object),
      ...(msg ? { msg: scrubText(msg) } : {}),
    };
    const line = JSON.stringify(record);
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (more) => consoleLogger(minLevel, { ...bindings, ...more }),
  };
}
