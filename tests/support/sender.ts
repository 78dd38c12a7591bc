// A test sender for calling the ingest service directly (the HTTP route and CLI build theirs from a token or flags).
import type { IngestSender } from "../../src/ingest/sender.js";
import { SOURCES } from "../../src/ingest/sources.js";
import type { SourceName } from "../../src/mapping/registry.js";

/** A sending system of organisation `org`. */
export const testSender = (org: string, subject = "test-feed"): IngestSender => ({
  org,
  subject,
  issuer: "https://idp.test.invalid",
  tokenId: { kind: "jti", value: `jti-${subject}` },
});

/** Ingest options for `source` sent by organisation `org` (plus any other options). */
export const sentBy = (source: SourceName, org: string) => ({
  sender: testSender(org),
  ownerField: SOURCES[source]?.ownerField ?? "",
});
