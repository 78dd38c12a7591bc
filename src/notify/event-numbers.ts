/**
 * Event numbers per Subscription (the backport's `event-number`, `events-since-subscription-start`): the
 * sequence number of the message in the hash-chained log stream `subscription-events/<id>`, taken when the
 * message is first attempted and found again on every retry, so a retried notification keeps its number.
 */
import { type Store, StoreConflictError } from "../store/port.js";

const PAGE = 500;

/** The log stream numbering one Subscription's events. */
export const eventStream = (subscriptionId: string) => `subscription-events/${subscriptionId}`;

/** The seq of `messageId`'s entry in `stream`, and the stream's last seq. */
async function find(store: Store, stream: string, messageId: string) {
  let after = 0;
  for (;;) {
    const page = await store.readLog(stream, after, PAGE);
    const hit = page.find((e) => e.payload.message === messageId);
    if (hit) return { seq: hit.seq, last: after };
    if (page.length === 0) return { seq: undefined, last: after };
    after = (page.at(-1) as { seq: number }).seq;
  }
}

/** The event number of `messageId` for `subscriptionId`: its existing one, or the next one (appended). */
export async function eventNumberFor(store: Store, subscriptionId: string, messageId: string): Promise<number> {
  const stream = eventStream(subscriptionId);
  for (let attempt = 0; ; attempt++) {
    const found = await find(store, stream, messageId);
    if (found.seq !== undefined) return found.seq;
    try {
      await store.commit({ log: [{ stream, payload: { message: messageId } }] });
    } catch (err) {
      // Another deliverer numbered an event of this Subscription at the same moment: look again.
      if (!(err instanceof StoreConflictError) || attempt >= 4) throw err;
    }
  }
}
