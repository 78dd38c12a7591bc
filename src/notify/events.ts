/** Which touched resources are notifiable events (DOMAIN.md §3): adult service Encounters and closed treatment episodes. */

import type { DerivedResource } from "../derive/port.js";
import { codeSystemUrl, profileUrl } from "../fhir/canonical.js";
import type { EventKind } from "./topic.js";

/** A notifiable event read from one resource. */
export interface AdultEvent {
  kind: EventKind;
  /** `Encounter/id` or `EpisodeOfCare/id`: the notification's focus. */
  focus: string;
  /** The adult's Patient record (`Patient/id`). */
  adult: string;
  /** When it happened (or is planned): a FHIR date or dateTime from the record, never the clock. */
  date?: string;
  /** The EpisodeOfCare the event belongs to (`EpisodeOfCare/id`), where its lead professional is. */
  episode?: string;
}

const SERVICE_EVENT_TYPE = codeSystemUrl("service-event-type");
const ENCOUNTER_KINDS = new Set<string>([
  "admission",
  "discharge",
  "planned-discharge",
  "discharge-meeting",
  "did-not-attend",
]);

const claims = (r: DerivedResource, profile: string) =>
  ((r.meta as { profile?: unknown } | undefined)?.profile as unknown[] | undefined)?.includes(profileUrl(profile)) ??
  false;

type Ref = { reference?: unknown } | undefined;
const patientRef = (ref: Ref) =>
  typeof ref?.reference === "string" && ref.reference.startsWith("Patient/") ? ref.reference : undefined;
const CLOSED_EPISODE = new Set(["finished", "cancelled"]);

/** The event `resource` is, or undefined when it is none (a CPA review, an open episode, another type). */
export function adultEventOf(resource: DerivedResource): AdultEvent | undefined {
  if (resource.resourceType === "Encounter" && claims(resource, "TFG-AdultServiceEvent")) {
    const codes = ((resource.type as { coding?: { system?: string; code?: string }[] }[] | undefined) ?? []).flatMap(
      (t) => t.coding ?? [],
    );
    const kind = codes.find((c) => c.system === SERVICE_EVENT_TYPE && ENCOUNTER_KINDS.has(c.code ?? ""))?.code;
    const adult = patientRef(resource.subject as Ref);
    if (!kind || !adult) return undefined;
    const period = resource.period as { start?: string } | undefined;
    const episode = (resource.episodeOfCare as Ref[] | undefined)?.[0]?.reference;
    return {
      kind: kind as EventKind,
      focus: `Encounter/${resource.id}`,
      adult,
      ...(period?.start ? { date: period.start } : {}),
      ...(typeof episode === "string" ? { episode } : {}),
    };
  }
  if (resource.resourceType === "EpisodeOfCare" && claims(resource, "TFG-TreatmentEpisode")) {
    const period = resource.period as { end?: string } | undefined;
    const closed = CLOSED_EPISODE.has(String(resource.status)) || period?.end !== undefined;
    const adult = patientRef(resource.patient as Ref);
    if (!closed || !adult) return undefined;
    return {
      kind: "leaving-treatment",
      focus: `EpisodeOfCare/${resource.id}`,
      adult,
      ...(period?.end ? { date: period.end } : {}),
      episode: `EpisodeOfCare/${resource.id}`,
    };
  }
  return undefined;
}
