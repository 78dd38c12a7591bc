/** Hono environment shared by every route: the per-request variables set by middleware. */
import type { Actor } from "../auth/actor.js";
import type { Logger } from "../log/logger.js";

/** Variables on the Hono context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    actor: Actor;
    /** The FHIR base URL links are built from (src/http/public-base.ts). */
    base: string;
  };
}
