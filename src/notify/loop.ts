/** The delivery loop on a long-running host (Node): a pass, then a pause, until stopped. Workers use a Cron Trigger instead. */
import type { Logger } from "../log/logger.js";
import type { Store } from "../store/port.js";
import { type DeliveryDeps, deliverDue } from "./deliver.js";
import type { NotifySettings } from "./settings.js";
import { createSigner } from "./signing.js";

/** The delivery dependencies for a host, or undefined (and a warning) when no signing key is configured. */
export async function deliveryDeps(
  store: Store,
  settings: NotifySettings,
  logger: Logger,
  baseUrl?: string,
): Promise<DeliveryDeps | undefined> {
  const signer = await createSigner(settings.signingKeys);
  if (!signer) {
    logger.warn({}, "no notification signing key (TFG_SIGNING_JWK): notifications stay queued in the outbox");
    return undefined;
  }
  return { store, signer, settings, logger, ...(baseUrl ? { baseUrl } : {}) };
}

/** A running loop. */
export interface DeliveryLoop {
  /** Stops after the pass in flight (if any) and resolves when it has finished. */
  stop(): Promise<void>;
}

/** Runs a delivery pass every `intervalSeconds`, and at once again while a pass found a full batch. */
export function startDeliveryLoop(deps: DeliveryDeps, intervalSeconds: number): DeliveryLoop {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const limit = deps.limit ?? 25;
  const run = () => {
    inFlight = deliverDue(deps)
      .then((pass) => (pass.claimed >= limit ? 0 : intervalSeconds * 1000))
      .catch((err: unknown) => {
        deps.logger.error({ error: (err as Error)?.name ?? "Error" }, "notification delivery pass failed");
        return intervalSeconds * 1000;
      })
      .then((delay) => {
        if (stopped) return;
        timer = setTimeout(run, delay);
        (timer as { unref?: () => void }).unref?.();
      });
  };
  run();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}
