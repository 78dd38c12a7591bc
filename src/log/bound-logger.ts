/** A logger that adds fixed fields to every record it writes, without building a logger per request. */
import type { Logger } from "./logger.js";

/**
 * A {@link Logger} writing through `base` with `bindings` merged into every record (the record's own fields
 * win). It does what `base.child(bindings)` does for the records' content, but costs one small object instead
 * of a child logger (pino serialises a child's bindings when it is made), so a per-request logger that is
 * usually never written to is almost free. The fields still pass through `base`'s redaction with the record.
 */
export function boundLogger(base: Logger, bindings: Record<string, unknown>): Logger {
  return {
    debug: (obj, msg) => base.debug({ ...bindings, ...obj }, msg),
    info: (obj, msg) => base.info({ ...bindings, ...obj }, msg),
    warn: (obj, msg) => base.warn({ ...bindings, ...obj }, msg),
    error: (obj, msg) => base.error({ ...bindings, ...obj }, msg),
    child: (more) => boundLogger(base, { ...bindings, ...more }),
  };
}
