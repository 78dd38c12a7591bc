/** The notification topic the gateway defines (R4 has no SubscriptionTopic resource: the topic is a canonical URL) and its event kinds. */
import { TFG_BASE } from "../fhir/canonical.js";

/** Base of the HL7 R4 Subscriptions Backport IG's canonical URLs (hl7.fhir.uv.subscriptions-backport). */
export const BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport";
/** The extension on `Subscription.channel.payload` that says how much a notification carries. */
export const PAYLOAD_CONTENT_EXTENSION = `${BACKPORT}/StructureDefinition/backport-payload-content`;
/** The extension on `Subscription.criteria` narrowing a topic (`event=discharge,admission` here). */
export const FILTER_CRITERIA_EXTENSION = `${BACKPORT}/StructureDefinition/backport-filter-criteria`;
/** Profile of the Parameters resource that opens every R4 notification Bundle. */
export const STATUS_PROFILE = `${BACKPORT}/StructureDefinition/backport-subscription-status-r4`;
/** Profile of an R4 notification Bundle. */
export const NOTIFICATION_PROFILE = `${BACKPORT}/StructureDefinition/backport-subscription-notification-r4`;

/**
 * The one topic: an event in adult services (DOMAIN.md §3) for an adult whose household holds a child
 * with an open child protection plan or child-in-need episode with the subscribing local authority.
 */
export const THINK_FAMILY_TOPIC = `${TFG_BASE}/SubscriptionTopic/think-family-adult-event`;

/** The events the topic raises: `service-event-type` codes, and `leaving-treatment` for a treatment episode that closed. */
export const EVENT_KINDS = [
  "admission",
  "discharge",
  "planned-discharge",
  "discharge-meeting",
  "did-not-attend",
  "leaving-treatment",
] as const;

/** One event kind. */
export type EventKind = (typeof EVENT_KINDS)[number];

/** Payload contents the gateway sends: `full-resource` waits for the disclosure policy (a later issue). */
export const PAYLOAD_CONTENTS = ["id-only", "empty"] as const;

/** How much a notification carries. */
export type PayloadContent = (typeof PAYLOAD_CONTENTS)[number];

/** The outbox topic of notification messages (the delivery loop owns it). */
export const NOTIFICATION_OUTBOX_TOPIC = "subscription-notification";
