/**
 * What a Subscription written over REST must be (R4 Subscriptions Backport shape): a local authority's
 * `rest-hook` to an https endpoint on the gateway's topic, with `application/fhir+json` payloads of
 * `id-only` (default) or `empty` content. The rule stamps the caller's organisation as owner and moves
 * `requested` to `active`; a criteria-based R4 Subscription (a search URL) with a valid channel is stored with status
 * `error` and an `error` saying it is never notified; anything else is a 422 that names the element, or a 403 for a
 * non-LA caller.
 */
import { withOwner } from "../auth/ownership.js";
import { type FhirIssue, forbidden, GatewayError } from "../fhir/errors.js";
import type { ResourceJson } from "../fhir/resource-body.js";
import {
  EVENT_KINDS,
  FILTER_CRITERIA_EXTENSION,
  PAYLOAD_CONTENT_EXTENSION,
  PAYLOAD_CONTENTS,
  THINK_FAMILY_TOPIC,
} from "./topic.js";

/** `Subscription.error` of a criteria-based Subscription: stored, never notified. */
export const UNSUPPORTED_CRITERIA = `Criteria-based subscriptions are not notified by this gateway: subscribe to the topic ${THINK_FAMILY_TOPIC} (docs/NOTIFICATIONS.md)`;

/** The caller a rule sees: the token's organisation and its type. */
export interface RuleCaller {
  org: string;
  orgType?: string;
}

type Ext = { url?: unknown; valueCode?: unknown; valueString?: unknown };
const extensionsOf = (element: unknown): Ext[] => {
  const ext = (element as { extension?: unknown } | undefined)?.extension;
  return Array.isArray(ext) ? (ext as Ext[]) : [];
};

/** A header line a Subscription may ask for: a token name, a colon and a value without line breaks. */
const HEADER_LINE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}:[^\r\n]{0,4096}$/;
/** Headers the gateway sets itself on every notification; a Subscription may not replace them. */
const RESERVED_HEADERS = new Set(["content-type", "content-length", "idempotency-key", "x-tfg-signature", "host"]);

/** The event kinds a `backport-filter-criteria` value `event=a,b` selects, or undefined when malformed. */
export function filterKinds(value: string): string[] | undefined {
  const m = /^event=([a-z-]+(?:,[a-z-]+)*)$/.exec(value);
  if (!m) return undefined;
  const kinds = (m[1] as string).split(",");
  return kinds.every((k) => (EVENT_KINDS as readonly string[]).includes(k)) ? kinds : undefined;
}

/** The payload content a Subscription asks for (`id-only` when it names none). */
export function payloadContentOf(subscription: Record<string, unknown>): string {
  const channel = (subscription.channel ?? {}) as { _payload?: unknown };
  const ext = extensionsOf(channel._payload).find((e) => e.url === PAYLOAD_CONTENT_EXTENSION);
  return typeof ext?.valueCode === "string" ? ext.valueCode : "id-only";
}

/** The event kinds a Subscription selects: its filters', or every kind without a filter. */
export function selectedKinds(subscription: Record<string, unknown>): Set<string> {
  const filters = extensionsOf(subscription._criteria).filter((e) => e.url === FILTER_CRITERIA_EXTENSION);
  if (filters.length === 0) return new Set(EVENT_KINDS);
  return new Set(filters.flatMap((f) => filterKinds(String(f.valueString)) ?? []));
}

/**
 * Checks and completes a Subscription that `caller` writes. `where` is the expression prefix (`Subscription`,
 * or `Bundle.entry[2].resource` in a transaction). Returns the resource to store.
 */
export function subscriptionRule(next: ResourceJson, caller: RuleCaller | undefined, where: string): ResourceJson {
  if (caller?.orgType !== "la-childrens-services" || !caller.org) {
    throw forbidden("Only a local authority children's services token may subscribe to notifications", [where]);
  }
  const issues: FhirIssue[] = [];
  const bad = (path: string, diagnostics: string) =>
    issues.push({ severity: "error", code: "value", diagnostics, expression: [`${where}.${path}`] });

  // A criteria-based R4 Subscription (a search URL) is valid R4 but not something this gateway notifies on: it is
  // stored with status `error` and says why, so the subscriber sees it will never fire (R4: the server sets error).
  const topicBased = next.criteria === THINK_FAMILY_TOPIC;
  if (!topicBased && (typeof next.criteria !== "string" || !/^[A-Z][A-Za-z]+([?/]|$)/.test(next.criteria))) {
    bad("criteria", `criteria must be the topic canonical ${THINK_FAMILY_TOPIC} (docs/NOTIFICATIONS.md)`);
  }
  for (const [i, e] of extensionsOf(next._criteria).entries()) {
    if (e.url === FILTER_CRITERIA_EXTENSION && (typeof e.valueString !== "string" || !filterKinds(e.valueString))) {
      bad(
        `criteria.extension[${i}].valueString`,
        `a filter must be event=<kind>[,<kind>] with kinds from ${EVENT_KINDS.join(", ")}`,
      );
    }
  }

  const channel = (next.channel ?? {}) as Record<string, unknown>;
  if (channel.type !== "rest-hook") bad("channel.type", "channel.type must be rest-hook");
  let endpoint: URL | undefined;
  try {
    endpoint = typeof channel.endpoint === "string" ? new URL(channel.endpoint) : undefined;
  } catch {
    endpoint = undefined;
  }
  if (endpoint?.protocol !== "https:" || endpoint.username !== "" || endpoint.password !== "") {
    bad("channel.endpoint", "channel.endpoint must be an https URL without credentials in it");
  }
  if (channel.payload !== undefined && channel.payload !== "application/fhir+json") {
    bad("channel.payload", "channel.payload must be application/fhir+json");
  }
  const content = payloadContentOf(next);
  if (!(PAYLOAD_CONTENTS as readonly string[]).includes(content)) {
    bad(
      "channel.payload.extension",
      `payload content ${content.slice(0, 32)} is not offered: use id-only or empty (full-resource waits for the disclosure policy)`,
    );
  }
  const headers = Array.isArray(channel.header) ? (channel.header as unknown[]) : [];
  headers.forEach((h, i) => {
    const line = typeof h === "string" ? h : "";
    const name = line.split(":")[0]?.trim().toLowerCase() ?? "";
    if (!HEADER_LINE.test(line)) bad(`channel.header[${i}]`, "a header must be 'Name: value' on one line");
    else if (RESERVED_HEADERS.has(name)) bad(`channel.header[${i}]`, "this header is set by the gateway itself");
  });
  if (topicBased && next.status === "error") bad("status", "status error is set by the gateway, not by a client");
  if (issues.length > 0) throw new GatewayError(422, "invalid-subscription", issues);

  const status = !topicBased ? "error" : next.status === "off" ? "off" : "active";
  const payloadExt = extensionsOf(channel._payload).some((e) => e.url === PAYLOAD_CONTENT_EXTENSION)
    ? channel._payload
    : {
        ...((channel._payload as Record<string, unknown> | undefined) ?? {}),
        extension: [...extensionsOf(channel._payload), { url: PAYLOAD_CONTENT_EXTENSION, valueCode: content }],
      };
  const completed = {
    ...next,
    status,
    ...(topicBased ? {} : { error: UNSUPPORTED_CRITERIA }),
    channel: { ...channel, payload: "application/fhir+json", _payload: payloadExt },
  } as ResourceJson;
  return withOwner(completed, caller.org);
}
