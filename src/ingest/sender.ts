/**
 * The sender of an ingested file (organisation, user or system, token id) and the Provenance agents that
 * name it, so "who sent this" is answerable from every Provenance ingest writes.
 */
import type { TokenId } from "../auth/actor.js";
import { profileUrl, TFG_BASE } from "../fhir/canonical.js";

/** Who sends a file: the organisation (token `org`), the user or system (`sub`, scoped by its issuer), and which token. */
export interface IngestSender {
  org: string;
  subject: string;
  /** The token's issuer (the namespace of `subject`); `urn:tfg:cli` for the CLI. */
  issuer: string;
  tokenId: TokenId;
}

/** Identifier system of organisation codes as a gateway token's `org` claim carries them (ODS, NDTMS agency or LA code). */
export const ORGANISATION_SYSTEM = `${TFG_BASE}/Id/organisation`;
/** Extension on Provenance.agent naming the token (or CLI run) the sender used, never the token itself. */
export const SENDER_TOKEN_EXTENSION = profileUrl("sender-token");

const TOKEN_ID_SYSTEMS: Record<TokenId["kind"], string> = {
  jti: `${TFG_BASE}/Id/token-jti`,
  sha256: `${TFG_BASE}/Id/token-sha256`,
  "cli-run": `${TFG_BASE}/Id/cli-run`,
};

const PERFORMER = {
  coding: [
    {
      system: "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
      code: "performer",
      display: "Performer",
    },
  ],
};

/** The two agents ingest adds to a record's Provenance: the sending organisation, and the user or system on its behalf. */
export function senderAgents(sender: IngestSender): Record<string, unknown>[] {
  const org = { identifier: { system: ORGANISATION_SYSTEM, value: sender.org } };
  return [
    { type: PERFORMER, who: { ...org, display: "Sending organisation" } },
    {
      extension: [
        {
          url: SENDER_TOKEN_EXTENSION,
          valueIdentifier: { system: TOKEN_ID_SYSTEMS[sender.tokenId.kind], value: sender.tokenId.value },
        },
      ],
      type: PERFORMER,
      who: { identifier: { system: sender.issuer, value: sender.subject }, display: "Sending user or system" },
      onBehalfOf: org,
    },
  ];
}
