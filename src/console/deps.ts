/** What the console is built from: the same store, auditor, policy and clock the API routes use. */
import type { Auditor } from "../audit/auditor.js";
import type { OwnershipRule } from "../auth/ownership.js";
import type { GatewayConfig } from "../config.js";
import type { ResourceService } from "../fhir/resource-service.js";
import type { AppEnv } from "../http/context.js";
import type { ResourceValidator } from "../ingest/ingest-service.js";
import type { Policy } from "../policy/policy.js";
import type { Store } from "../store/port.js";
import type { ConsoleAssets } from "./assets.js";
import type { ConsoleReturns } from "./returns-page.js";
import type { ConsoleSession, SessionStore } from "./session.js";

/** The console's ports. */
export interface ConsoleDeps {
  store: Store;
  auditor: Auditor;
  policy: Policy;
  clock: () => Date;
  config: GatewayConfig;
  ownership: OwnershipRule;
  /** The /fhir resource service (reads through it are decided and audited as /fhir reads are). */
  service: ResourceService;
  validate?: ResourceValidator | false;
  /** nhsuk-frontend's CSS and JS, read by the runtime. */
  assets?: ConsoleAssets;
  /** The returns jobs, as the returns page needs them; absent until an adapter over src/returns/jobs is wired. */
  returns?: ConsoleReturns;
  /** fetch for the OpenID Connect issuer (tests pass their own). */
  fetch?: typeof fetch;
}

/** The Hono environment of console routes: the API's variables plus the session. */
export interface ConsoleEnv {
  Variables: AppEnv["Variables"] & { session: ConsoleSession; sessions: SessionStore; form: FormData };
}
