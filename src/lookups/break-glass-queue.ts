/**
 * The break-glass review queue (issue 10 scope 6; docs/LOOKUPS.md): the break-glass permits recorded in the audit
 * that the policy queued for review by an organisation's safeguarding lead (obligation `review-by-safeguarding-lead`,
 * the caller's organisation), newest first, with when each permit expires. Read from the AuditEvent copies of the
 * audit log; ids, codes and references only — the stated reason is not in the audit and not here.
 */
import type { Store, StoredVersion } from "../store/port.js";

/** One break-glass read awaiting review. */
export interface BreakGlassEntry {
  /** The AuditEvent that records it. */
  auditEvent: string;
  recorded: string;
  /** The user (token issuer and subject). */
  user: { issuer?: string | undefined; subject?: string | undefined };
  role?: string | undefined;
  /** The records read (`Type/id`), the patient first when known. */
  entities: string[];
  /** The operation, when the read was one (`$household-check`, `$family`). */
  operation?: string | undefined;
  rule?: string | undefined;
  /** When the break-glass permit ends (from its `expires-after` obligation), and whether that is past at `now`. */
  expires?: string | undefined;
  expired: boolean;
}

type Json = Record<string, unknown>;
const PAGE = 500;
const REVIEW = "review-by-safeguarding-lead";

const eventOf = (v: StoredVersion): Json | undefined => {
  if (v.deleted) return undefined;
  if (v.resource) return v.resource as Json;
  if (v.json === undefined) return undefined;
  return JSON.parse(typeof v.json === "string" ? v.json : new TextDecoder().decode(v.json)) as Json;
};

const who = (agent: Json | undefined) =>
  (agent?.who as { identifier?: { system?: string; value?: string } })?.identifier;
const codeOf = (v: unknown) => (v as { coding?: { code?: string }[] }[] | undefined)?.[0]?.coding?.[0]?.code;

/** The entry of a break-glass AuditEvent queued for review by `org`, or undefined. */
export function breakGlassEntry(e: Json, org: string, now: Date): BreakGlassEntry | undefined {
  if (e.outcome !== "0" || codeOf(e.purposeOfEvent) !== "break-glass") return undefined;
  const agents = (e.agent as Json[] | undefined) ?? [];
  if (who(agents[1])?.value?.toUpperCase() !== org.toUpperCase()) return undefined;
  const entities = (e.entity as Json[] | undefined) ?? [];
  const details = (entities[0]?.detail as { type?: string; valueString?: string }[] | undefined) ?? [];
  const obligations = details.filter((d) => d.type === "obligation").map((d) => d.valueString ?? "");
  if (!obligations.includes(REVIEW)) return undefined;
  const expires = obligations.find((o) => o.startsWith("expires-after "))?.slice("expires-after ".length);
  const user = who(agents[0]);
  return {
    auditEvent: `AuditEvent/${String(e.id)}`,
    recorded: String(e.recorded),
    user: { issuer: user?.system, subject: user?.value },
    role: codeOf(agents[0]?.role),
    entities: entities
      .map((x) => (x.what as { reference?: string } | undefined)?.reference)
      .filter((r): r is string => typeof r === "string"),
    operation: entities.map((x) => x.name).find((n): n is string => typeof n === "string" && n.startsWith("$")),
    rule: details.find((d) => d.type === "rule")?.valueString,
    ...(expires ? { expires } : {}),
    expired: expires !== undefined && Date.parse(expires) <= now.getTime(),
  };
}

/**
 * Every break-glass read queued for review by `org`'s safeguarding lead, newest first. Reads every AuditEvent a page at
 * a time (no index on purpose of use yet): fine for a review queue read now and then, not for millions of entries.
 */
export async function breakGlassQueue(store: Store, org: string, now: Date): Promise<BreakGlassEntry[]> {
  const out: BreakGlassEntry[] = [];
  let after: { key: string; id: string } | undefined;
  for (;;) {
    const page = await store.search({
      resourceType: "AuditEvent",
      criteria: [],
      count: PAGE,
      sort: "id",
      withoutTotal: true,
      ...(after ? { after } : {}),
    });
    for (const v of page.versions) {
      const e = eventOf(v);
      const entry = e ? breakGlassEntry(e, org, now) : undefined;
      if (entry) out.push(entry);
    }
    const last = page.versions.at(-1);
    if (!page.more || !last) break;
    after = { key: last.id, id: last.id };
  }
  return out.sort((a, b) => (a.recorded < b.recorded ? 1 : a.recorded > b.recorded ? -1 : 0));
}
