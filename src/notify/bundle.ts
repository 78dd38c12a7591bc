/**
 * The notification Bundle (R4 Subscriptions Backport, `backport-subscription-notification-r4`): type `history`,
 * first entry a `backport-subscription-status-r4` Parameters with the event number, then (content `id-only`)
 * one entry naming the focus. The contact-level facts ride on the `notification-event` parameter as the
 * project extension `notification-contact` (docs/NOTIFICATIONS.md).
 */
import { profileUrl } from "../fhir/canonical.js";
import type { ContactFacts, NotificationPayload } from "./message.js";
import { NOTIFICATION_PROFILE, type PayloadContent, STATUS_PROFILE, THINK_FAMILY_TOPIC } from "./topic.js";

/** The extension carrying the contact-level facts of one notification event. */
export const CONTACT_EXTENSION = profileUrl("notification-contact");

/** What one notification is built from. */
export interface NotificationInput {
  /** The outbox message id: the Bundle id and the Idempotency-Key. */
  messageId: string;
  /** When the gateway queued it (the outbox's createdAt), so every retry sends the same Bundle. */
  queuedAt: string;
  payload: NotificationPayload;
  eventNumber: number;
  content: PayloadContent;
  /** Public FHIR base (TFG_BASE_URL) for absolute references; relative references without one. */
  baseUrl?: string;
}

/** A UUID-shaped form of a 32-hex-digit id (for `urn:uuid:` full URLs). */
const asUuid = (hex: string) =>
  /^[0-9a-f]{32}$/.test(hex)
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : hex;

const sub = (url: string, value: Record<string, unknown>) => ({ url, ...value });

function contactExtension(c: ContactFacts) {
  const parts: Record<string, unknown>[] = [sub("event", { valueCode: c.event })];
  if (c.date) parts.push(sub("date", c.date.length > 10 ? { valueDateTime: c.date } : { valueDate: c.date }));
  parts.push(sub("adult", { valueReference: { reference: c.adult } }));
  if (c.service) parts.push(sub("service", { valueIdentifier: c.service }));
  if (c.leadProfessional?.name) parts.push(sub("lead-professional", { valueString: c.leadProfessional.name }));
  for (const t of c.leadProfessional?.telecom ?? [])
    parts.push(sub("lead-professional-telecom", { valueContactPoint: t }));
  if (c.team) parts.push(sub("team", { valueString: c.team }));
  for (const child of c.children) parts.push(sub("child", { valueReference: { reference: child } }));
  for (const k of c.cases) parts.push(sub("case", { valueReference: { reference: k } }));
  return { url: CONTACT_EXTENSION, extension: parts };
}

/** Builds the notification Bundle for one message. */
export function notificationBundle(input: NotificationInput): Record<string, unknown> {
  const abs = (ref: string) => (input.baseUrl ? `${input.baseUrl}/${ref}` : ref);
  const { payload, eventNumber, content } = input;
  const n = String(eventNumber);
  const event: Record<string, unknown> = {
    name: "notification-event",
    part: [
      { name: "event-number", valueString: n },
      { name: "timestamp", valueInstant: input.queuedAt },
      ...(content === "id-only" ? [{ name: "focus", valueReference: { reference: abs(payload.focus) } }] : []),
    ],
  };
  if (content === "id-only") event.extension = [contactExtension(payload.contact)];
  const status = {
    resourceType: "Parameters",
    id: asUuid(input.messageId),
    meta: { profile: [STATUS_PROFILE] },
    parameter: [
      { name: "subscription", valueReference: { reference: abs(payload.subscription) } },
      { name: "topic", valueCanonical: THINK_FAMILY_TOPIC },
      { name: "status", valueCode: "active" },
      { name: "type", valueCode: "event-notification" },
      { name: "events-since-subscription-start", valueString: n },
      event,
    ],
  };
  const entries: Record<string, unknown>[] = [
    {
      fullUrl: `urn:uuid:${asUuid(input.messageId)}`,
      resource: status,
      request: { method: "GET", url: `${abs(payload.subscription)}/$status` },
      response: { status: "200" },
    },
  ];
  if (content === "id-only") {
    entries.push({
      ...(input.baseUrl ? { fullUrl: abs(payload.focus) } : {}),
      request: { method: "PUT", url: payload.focus },
      response: { status: "200" },
    });
  }
  return {
    resourceType: "Bundle",
    id: input.messageId,
    meta: { profile: [NOTIFICATION_PROFILE] },
    type: "history",
    timestamp: input.queuedAt,
    entry: entries,
  };
}
