/**
 * The shape of a sharing-protocol file (`policies/*.yaml`, docs/POLICY.md), checked with zod when it
 * is loaded. Every object is strict, so a misspelt key is an error rather than a rule that silently
 * matches more than intended.
 */
import { z } from "zod";
import { ORG_TYPES, PURPOSES, ROLES } from "../auth/actor.js";
import { LEVELS } from "./levels.js";

/** Relationships a rule may name (facts.ts; `none` means none of the others holds). */
export const RELATIONSHIPS = [
  "recording-organisation",
  "caseload",
  "household-of-open-child",
  "child-of-caseload-patient",
  "match-review",
  "none",
] as const;

/** A relationship a rule may name. */
export type Relationship = (typeof RELATIONSHIPS)[number];

/**
 * What is asked for: one `record` (every /fhir read, lookup answer and review: the default), a `person-list` (a report
 * naming people: the worklist, the not-recorded list) or an `aggregate` (a report of counts naming no one).
 */
export const ACCESS_KINDS = ["record", "person-list", "aggregate"] as const;

/** What a request asks for. */
export type AccessKind = (typeof ACCESS_KINDS)[number];

/** Consent states a rule may name. */
export const CONSENT_STATES = ["permit", "deny", "none"] as const;

/** The person's consent for this caller and purpose. */
export type ConsentState = (typeof CONSENT_STATES)[number];

/** Obligations a permit may carry (decide.ts fills in their details). */
export const OBLIGATION_KINDS = [
  "notify-record-owner-safeguarding-lead",
  "record-s47-override",
  "record-s47-justification",
  "tell-caller-consent-needed",
  "review-by-safeguarding-lead",
  "expires-after",
] as const;

/** An obligation kind. */
export type ObligationKind = (typeof OBLIGATION_KINDS)[number];

/** ISO 8601 durations the policy accepts: days, hours and minutes (`P1D`, `PT4H`, `PT30M`, `P1DT12H`). */
export const DURATION = /^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?)?$/;

const list = <T extends readonly [string, ...string[]]>(values: T) => z.array(z.enum(values)).min(1);

const when = z.strictObject({
  access: list(ACCESS_KINDS).optional(),
  "org-type": list(ORG_TYPES).optional(),
  role: list(ROLES).optional(),
  purpose: list(PURPOSES).optional(),
  subject: list(["adult", "child"] as const).optional(),
  relationship: list(RELATIONSHIPS).optional(),
  consent: list(CONSENT_STATES).optional(),
  "reason-given": z.literal(true).optional(),
});

const permit = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "a rule id is lower-case letters, digits and hyphens"),
  description: z.string().min(1),
  when,
  effect: z.literal("permit"),
  level: z.enum(LEVELS.slice(1) as unknown as readonly ["existence", "contact", "summary", "sensitive"]),
  "legal-basis": z.string().min(1),
  obligations: z.array(z.enum(OBLIGATION_KINDS)).optional(),
});

const deny = z.strictObject({
  id: permit.shape.id,
  description: z.string().min(1),
  when,
  effect: z.literal("deny"),
});

/** One rule as written in the file. */
export const ruleSchema = z.discriminatedUnion("effect", [permit, deny]);

/** A whole sharing-protocol file. */
export const policyFileSchema = z
  .strictObject({
    version: z.literal(1),
    name: z.string().min(1),
    "break-glass-expires-after": z.string().regex(DURATION, "an ISO 8601 duration such as PT4H or P1D"),
    rules: z.array(ruleSchema).min(1),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.rules.forEach((rule, i) => {
      if (seen.has(rule.id))
        ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `duplicate rule id ${rule.id}` });
      seen.add(rule.id);
    });
  });

/** A sharing-protocol file as parsed. */
export type PolicyFile = z.infer<typeof policyFileSchema>;
