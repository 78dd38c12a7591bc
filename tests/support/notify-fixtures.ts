// Notification test fixtures (node and workers): a signing key, hand-made records written straight to a store, an LA Subscription.
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { RECORD_OWNER_SYSTEM } from "../../src/auth/ownership.js";
import { profileUrl } from "../../src/fhir/canonical.js";
import { prepareWrite } from "../../src/fhir/resource-service.js";
import { PAYLOAD_CONTENT_EXTENSION, THINK_FAMILY_TOPIC } from "../../src/notify/topic.js";
import type { Store } from "../../src/store/port.js";

/** A fresh ES256 private JWK with a kid, as TFG_SIGNING_JWK takes it. */
export async function signingJwk(kid = "notify-test-1"): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "ES256" };
}

type R = Record<string, unknown> & { resourceType: string; id: string };

/** Writes each resource as its next version (index included), all in one commit. */
export async function put(store: Store, resources: R[], at = "2026-11-01T00:00:00.000Z"): Promise<void> {
  const writes = [];
  for (const r of resources) {
    const current = await store.read(r.resourceType, r.id);
    writes.push(prepareWrite(r.resourceType, r.id, (current?.versionId ?? 0) + 1, at, r));
  }
  await store.commit({ resources: writes });
}

/** `resource` with a project profile and an owner tag, as ingest stores it. */
export const owned = (owner: string, profile: string | undefined, resource: R): R => ({
  ...resource,
  meta: {
    ...(profile ? { profile: [profileUrl(profile)] } : {}),
    tag: [{ system: RECORD_OWNER_SYSTEM, code: owner }],
  },
});

/** A Subscription body an LA POSTs (status requested, the gateway's topic, id-only by default). */
export const subscriptionBody = (endpoint: string, extra: Record<string, unknown> = {}) => ({
  resourceType: "Subscription",
  status: "requested",
  reason: "Think Family: adults in services whose household holds a child open to us",
  criteria: THINK_FAMILY_TOPIC,
  channel: {
    type: "rest-hook",
    endpoint,
    payload: "application/fhir+json",
    _payload: { extension: [{ url: PAYLOAD_CONTENT_EXTENSION, valueCode: "id-only" }] },
    header: ["Authorization: Bearer la-endpoint-secret"],
  },
  ...extra,
});

/** A stored, active Subscription of `la` (as the REST rule leaves it), for deriver tests without HTTP. */
export const storedSubscription = (id: string, la: string, endpoint: string, extra: Record<string, unknown> = {}): R =>
  owned(la, undefined, { ...subscriptionBody(endpoint), status: "active", ...extra, id });
