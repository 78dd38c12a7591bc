/** The outbox message a notification travels as: what the deriver decided, and all the delivery needs besides the Subscription. */
import type { EventKind } from "./topic.js";

/** An organisation as the records name it: a logical reference by identifier. */
export interface OrgIdentifier {
  system: string;
  value: string;
}

/**
 * What DOMAIN.md §4 allows at `contact` level: who (the adult's record, the adult service and its lead
 * professional), what kind of event and when. Never a diagnosis, a substance or free text; never the
 * adult's name, NHS number, date of birth or address (the record reference is an opaque id).
 */
export interface ContactFacts {
  event: EventKind;
  /** The event's date from the record (a planned discharge's is in the future). */
  date?: string;
  /** The adult's Patient record (`Patient/id`). */
  adult: string;
  /** The adult service (the episode's managing organisation, else the record's owner). */
  service?: OrgIdentifier;
  /** The care coordinator or key worker on the episode. */
  leadProfessional?: { name?: string; telecom?: { system?: string; value?: string; use?: string }[] };
  /** The team on the episode. */
  team?: string;
  /** The subscribing LA's own records of the children concerned (`Patient/id`) and their open cases. */
  children: string[];
  cases: string[];
}

/** An outbox payload of topic `subscription-notification`. */
export interface NotificationPayload {
  /** `Subscription/id`. */
  subscription: string;
  /** `Encounter/id` or `EpisodeOfCare/id`. */
  focus: string;
  contact: ContactFacts;
}
