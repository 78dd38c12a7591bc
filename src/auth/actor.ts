/** The actor: who is asking and why, taken from a verified token (DOMAIN.md §4). */
import { z } from "zod";

/** Organisation types that may call the gateway. */
export const ORG_TYPES = [
  "mh-trust",
  "drug-alcohol-service",
  "la-childrens-services",
  "safeguarding-partnership",
  "national-body",
] as const;

/** Roles within an organisation. */
export const ROLES = ["practitioner", "manager", "safeguarding-lead", "analyst", "system"] as const;

/** Purposes of use a request may state. */
export const PURPOSES = [
  "direct-care",
  "safeguarding-s47",
  "child-in-need-s17",
  "care-coordination",
  "quality-audit",
  "statistics",
  "break-glass",
] as const;

/** A purpose of use. */
export type Purpose = (typeof PURPOSES)[number];

/**
 * Which token (or CLI run) a request came with, never the token itself: its `jti`, a SHA-256 of the
 * compact token when it has no `jti`, or the id of a CLI run (`npm run tfg -- ingest`).
 */
export interface TokenId {
  kind: "jti" | "sha256" | "cli-run";
  value: string;
}

/** The verified caller of one request. */
export interface Actor {
  /** Token subject (user or system id). */
  subject: string;
  /** Issuer that vouched for the token. */
  issuer: string;
  /** Organisation code (ODS code or local authority code). */
  org: string;
  orgType: (typeof ORG_TYPES)[number];
  role: (typeof ROLES)[number];
  purposeOfUse: Purpose;
  /** The token this request came with (jti, else a hash of it), so "who sent this" is answerable. */
  tokenId: TokenId;
}

/** The claims the gateway reads. Unknown claims are ignored. */
export const actorClaims = z.object({
  sub: z.string().min(1),
  iss: z.string().min(1),
  org: z.string().min(1).max(64),
  org_type: z.enum(ORG_TYPES),
  role: z.enum(ROLES),
  /** Token id (RFC 7519 §4.1.7); recorded in Provenance of what the token's requests write. */
  jti: z.string().min(1).max(256).optional(),
  /** A fixed purpose of use for every request made with this token. */
  purpose_of_use: z.enum(PURPOSES).optional(),
  /** Purposes the caller may choose per request with the X-Purpose-Of-Use header. */
  purposes: z.array(z.enum(PURPOSES)).optional(),
});

/** The claims as parsed. */
export type ActorClaims = z.infer<typeof actorClaims>;
