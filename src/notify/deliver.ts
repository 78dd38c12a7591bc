/**
 * One delivery pass over the outbox: claim due notification messages with a lease, build each one's
 * notification Bundle, sign it (detached JWS, header X-TFG-Signature), POST it to the Subscription's endpoint
 * with an Idempotency-Key, and record the outcome: 2xx → delivered; otherwise retried on the outbox's own
 * schedule (doubling delay) until `maxAttempts`, then dead-lettered. Every outcome is a `notification-delivery`
 * log entry. Runs the same on Node (a timer) and Workers (a Cron Trigger).
 */
import type { Logger } from "../log/logger.js";
import type { OutboxRecord, Store } from "../store/port.js";
import { notificationBundle } from "./bundle.js";
import { eventNumberFor } from "./event-numbers.js";
import type { NotificationPayload } from "./message.js";
import type { NotifySettings } from "./settings.js";
import type { NotificationSigner } from "./signing.js";
import { payloadContentOf } from "./subscription-rule.js";
import { NOTIFICATION_OUTBOX_TOPIC, type PayloadContent } from "./topic.js";

/** The log stream every delivery outcome is appended to. */
export const DELIVERY_LOG = "notification-delivery";
/** The request header carrying the detached JWS over the body. */
export const SIGNATURE_HEADER = "X-TFG-Signature";

/** What a delivery pass needs. */
export interface DeliveryDeps {
  store: Store;
  signer: NotificationSigner;
  settings: Pick<
    NotifySettings,
    "maxAttempts" | "retryBaseSeconds" | "retryMaxSeconds" | "leaseSeconds" | "timeoutSeconds"
  >;
  logger: Logger;
  /** Outside HTTP (the global fetch by default). */
  fetch?: typeof fetch;
  clock?: () => Date;
  /** Public FHIR base for absolute references in notifications (TFG_BASE_URL). */
  baseUrl?: string;
  /** Messages claimed per pass (default 25). */
  limit?: number;
}

/** What one pass did. */
export interface DeliveryPass {
  claimed: number;
  delivered: number;
  retried: number;
  dead: number;
}

/** Seconds to wait before retry `attempt` + 1: base × 2^(attempt − 1), at most `max`. */
export function retryDelaySeconds(attempt: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, attempt - 1));
}

type Outcome = { kind: "delivered" | "retry" | "dead"; error?: string; status?: number; eventNumber?: number };

/** `Name: value` header lines of a Subscription's channel. */
const channelHeaders = (lines: unknown): [string, string][] =>
  (Array.isArray(lines) ? lines : []).flatMap((l) => {
    if (typeof l !== "string") return [];
    const i = l.indexOf(":");
    return i > 0 ? [[l.slice(0, i).trim(), l.slice(i + 1).trim()] as [string, string]] : [];
  });

async function attempt(deps: DeliveryDeps, m: OutboxRecord, now: Date): Promise<Outcome> {
  const payload = m.payload as unknown as NotificationPayload;
  const subId = /^Subscription\/([A-Za-z0-9\-.]{1,64})$/.exec(String(payload.subscription))?.[1];
  const stored = subId ? await deps.store.read("Subscription", subId) : undefined;
  const subscription = stored && !stored.deleted ? (stored.resource as Record<string, unknown> | undefined) : undefined;
  if (!subId || !subscription || subscription.status !== "active") {
    return { kind: "dead", error: "subscription not active" };
  }
  const end = typeof subscription.end === "string" ? Date.parse(subscription.end) : Number.NaN;
  if (!Number.isNaN(end) && end <= now.getTime()) return { kind: "dead", error: "subscription ended" };
  const channel = (subscription.channel ?? {}) as { endpoint?: unknown; header?: unknown };
  if (typeof channel.endpoint !== "string" || !channel.endpoint.startsWith("https://")) {
    return { kind: "dead", error: "subscription has no https endpoint" };
  }

  const eventNumber = await eventNumberFor(deps.store, subId, m.id);
  const bundle = notificationBundle({
    messageId: m.id,
    queuedAt: m.createdAt,
    payload,
    eventNumber,
    content: payloadContentOf(subscription) as PayloadContent,
    ...(deps.baseUrl ? { baseUrl: deps.baseUrl } : {}),
  });
  const body = new TextEncoder().encode(JSON.stringify(bundle));
  const headers = new Headers(channelHeaders(channel.header));
  headers.set("Content-Type", "application/fhir+json");
  headers.set("Idempotency-Key", m.id);
  headers.set(SIGNATURE_HEADER, await deps.signer.signDetached(body));
  try {
    const res = await (deps.fetch ?? fetch)(channel.endpoint, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(deps.settings.timeoutSeconds * 1000),
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { kind: "delivered", status: res.status, eventNumber };
    return { kind: "retry", status: res.status, error: `HTTP ${res.status}`, eventNumber };
  } catch (err) {
    // The error's name only: a message may carry the endpoint URL and whatever is in it.
    return { kind: "retry", error: `network error (${(err as Error)?.name ?? "Error"})`, eventNumber };
  }
}

/** Runs one delivery pass. Never throws for one message's failure; a store failure ends the pass. */
export async function deliverDue(deps: DeliveryDeps): Promise<DeliveryPass> {
  const clock = deps.clock ?? (() => new Date());
  const now = clock();
  const leaseUntil = new Date(now.getTime() + deps.settings.leaseSeconds * 1000).toISOString();
  const claimed = await deps.store.claimOutbox(now.toISOString(), leaseUntil, deps.limit ?? 25);
  const pass: DeliveryPass = { claimed: claimed.length, delivered: 0, retried: 0, dead: 0 };
  for (const m of claimed) {
    if (m.topic !== NOTIFICATION_OUTBOX_TOPIC) {
      // Not a notification: hand it back untouched in intent (another consumer's), an hour later.
      await deps.store.markFailed(
        m.id,
        "no deliverer for this topic here",
        new Date(now.getTime() + 3600_000).toISOString(),
      );
      continue;
    }
    let outcome = await attempt(deps, m, clock());
    if (outcome.kind === "retry" && m.attempts >= deps.settings.maxAttempts) {
      outcome = { ...outcome, kind: "dead", error: `${outcome.error}; gave up after ${m.attempts} attempts` };
    }
    const error = outcome.error ?? "";
    if (outcome.kind === "delivered") {
      await deps.store.markDelivered(m.id);
      pass.delivered++;
    } else if (outcome.kind === "retry") {
      const delay = retryDelaySeconds(m.attempts, deps.settings.retryBaseSeconds, deps.settings.retryMaxSeconds);
      await deps.store.markFailed(m.id, error, new Date(clock().getTime() + delay * 1000).toISOString());
      pass.retried++;
    } else {
      await deps.store.markFailed(m.id, error);
      pass.dead++;
    }
    const entry = {
      message: m.id,
      subscription: String((m.payload as { subscription?: unknown }).subscription),
      attempt: m.attempts,
      outcome: outcome.kind === "retry" ? "retry-scheduled" : outcome.kind,
      ...(outcome.eventNumber !== undefined ? { eventNumber: outcome.eventNumber } : {}),
      ...(outcome.status !== undefined ? { httpStatus: outcome.status } : {}),
      ...(outcome.error ? { error } : {}),
    };
    await deps.store.commit({ log: [{ stream: DELIVERY_LOG, payload: entry }] }).catch(async (err) => {
      // A lost race for the log's next seq: append once more.
      await deps.store.commit({ log: [{ stream: DELIVERY_LOG, payload: entry }] }).catch(() => {
        deps.logger.warn({ message: m.id, error: (err as Error)?.name }, "notification delivery log entry not written");
      });
    });
    const log = outcome.kind === "delivered" ? deps.logger.info : deps.logger.warn;
    log.call(deps.logger, entry, `notification ${entry.outcome}`);
  }
  return pass;
}
