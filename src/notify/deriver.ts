/**
 * The notifications deriver (last in the chain): for every touched adult-service event whose adult shares a
 * current household with a child on an open CP plan or CIN episode of local authority X, one outbox message
 * per active Subscription of X on the gateway's topic. Message ids are the idempotency keys: the
 * Subscription, the event resource and a hash of the event as notified (kind, date, adult), so the same event
 * is never queued twice.
 */
import { ownersOf, RECORD_OWNER_SYSTEM } from "../auth/ownership.js";
import type { DeriveInput, DeriveOutput, Deriver, DeriveView } from "../derive/port.js";
import { deterministicId } from "../mapping/ids.js";
import { canonicalJson } from "../store/hash-chain.js";
import type { OutboxMessage } from "../store/port.js";
import { type AdultEvent, adultEventOf } from "./events.js";
import { casesByAuthority } from "./household-reach.js";
import type { ContactFacts, NotificationPayload, OrgIdentifier } from "./message.js";
import { selectedKinds } from "./subscription-rule.js";
import { NOTIFICATION_OUTBOX_TOPIC, THINK_FAMILY_TOPIC } from "./topic.js";

const EVENT_TYPES = new Set(["Encounter", "EpisodeOfCare"]);

const refOf = (v: unknown) =>
  typeof (v as { reference?: unknown } | undefined)?.reference === "string"
    ? ((v as { reference: string }).reference as string)
    : undefined;

const readRef = async (view: DeriveView, ref: string | undefined) => {
  const m = ref ? /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
  return m ? view.read(m[1] as string, m[2] as string) : undefined;
};

/** The contact-level facts about the adult service behind an event: organisation, lead professional, team. */
async function serviceContact(view: DeriveView, event: AdultEvent, owner: string | undefined) {
  const episode = await readRef(view, event.episode);
  const managing = (episode?.managingOrganization as { identifier?: Partial<OrgIdentifier> } | undefined)?.identifier;
  const service: OrgIdentifier | undefined =
    managing?.system && managing.value
      ? { system: managing.system, value: managing.value }
      : owner
        ? { system: RECORD_OWNER_SYSTEM, value: owner }
        : undefined;
  const practitioner = await readRef(view, refOf(episode?.careManager));
  const name = (practitioner?.name as { text?: string }[] | undefined)?.[0]?.text;
  const telecom = (practitioner?.telecom as { system?: string; value?: string; use?: string }[] | undefined)?.map(
    (t) => ({
      ...(t.system ? { system: t.system } : {}),
      ...(t.value ? { value: t.value } : {}),
      ...(t.use ? { use: t.use } : {}),
    }),
  );
  const team = await readRef(view, refOf((episode?.team as unknown[] | undefined)?.[0]));
  return {
    ...(service ? { service } : {}),
    ...(name || telecom?.length
      ? { leadProfessional: { ...(name ? { name } : {}), ...(telecom?.length ? { telecom } : {}) } }
      : {}),
    ...(typeof team?.name === "string" ? { team: team.name } : {}),
  };
}

/** Active Subscriptions of `la` on the topic that select `kind`. */
async function subscriptionsOf(view: DeriveView, la: string, kind: string) {
  const found = await view.find("Subscription", [
    { kind: "token", param: "_tag", values: [{ system: RECORD_OWNER_SYSTEM, value: la }] },
    { kind: "token", param: "status", values: [{ value: "active" }] },
  ]);
  return found
    .filter((s) => s.criteria === THINK_FAMILY_TOPIC && selectedKinds(s).has(kind))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The messages one touched resource raises. */
async function messagesFor(view: DeriveView, key: string): Promise<OutboxMessage[]> {
  const [type, id] = key.split("/") as [string, string];
  const resource = await view.read(type, id);
  const event = resource && adultEventOf(resource);
  if (!resource || !event) return [];
  const byLa = await casesByAuthority(view, event.adult, event.date);
  if (byLa.size === 0) return [];
  // The event's content as notified: a change to anything else on the record (an admission gaining its
  // discharge date, a new care coordinator) is not a new event and queues nothing new.
  const contentKey = canonicalJson({ kind: event.kind, date: event.date ?? null, adult: event.adult });
  const service = await serviceContact(view, event, ownersOf(resource)[0]);
  const out: OutboxMessage[] = [];
  for (const [la, cases] of [...byLa].sort(([a], [b]) => a.localeCompare(b))) {
    for (const sub of await subscriptionsOf(view, la, event.kind)) {
      const contact: ContactFacts = {
        event: event.kind,
        ...(event.date ? { date: event.date } : {}),
        adult: event.adult,
        ...service,
        children: [...new Set(cases.map((c) => c.child))].sort(),
        cases: cases.map((c) => c.ref),
      };
      const payload: NotificationPayload = { subscription: `Subscription/${sub.id}`, focus: event.focus, contact };
      out.push({
        id: deterministicId("notify", "outbox", [`Subscription/${sub.id}`, key, contentKey]),
        topic: NOTIFICATION_OUTBOX_TOPIC,
        payload: payload as unknown as Record<string, unknown>,
      });
    }
  }
  return out;
}

/** Registered last in src/derive/chain.ts: it reads the person index, households and the children's cases. */
export const notificationsDeriver: Deriver = {
  name: "notifications",
  async derive({ view, touched }: DeriveInput): Promise<DeriveOutput> {
    const outbox: OutboxMessage[] = [];
    const seen = new Set<string>();
    for (const key of [...new Set(touched)].sort()) {
      if (!EVENT_TYPES.has(key.split("/")[0] ?? "")) continue;
      for (const m of await messagesFor(view, key)) {
        if (!seen.has(m.id)) outbox.push(m);
        seen.add(m.id);
      }
    }
    return { resources: [], outbox };
  },
};
