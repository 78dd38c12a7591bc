// The s47 disclosure notice (src/audit/disclosure-notice.ts): a permit carrying notify-record-owner-safeguarding-lead
// becomes one valid R4 Task per organisation told, owned by it, for the patient, its focus the AuditEvent; nothing for
// a deny or a permit without the obligation; never the stated justification.
import { describe, expect, it } from "vitest";
import type { AuditAccess, AuditDecision } from "../../src/audit/audit-event.js";
import { createAuditor } from "../../src/audit/auditor.js";
import { DISCLOSURE_NOTICE_CODE, disclosureNotices } from "../../src/audit/disclosure-notice.js";
import type { Actor } from "../../src/auth/actor.js";
import { ownersOf } from "../../src/auth/ownership.js";
import { validateResource } from "../../src/fhir/validation/validate.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { auditRoutedStore } from "../../src/store/audit-routed.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

const event = {
  resourceType: "AuditEvent",
  id: "3f1c2a9e-0000-4000-8000-000000000001",
  recorded: "2026-04-15T10:00:00.000Z",
};
const access: AuditAccess = {
  interaction: "operation",
  operation: "$household-check",
  resourceType: "EpisodeOfCare",
  resource: "EpisodeOfCare/ep-cpa",
  patient: "Patient/adult",
};
const permit: AuditDecision = {
  effect: "permit",
  level: "summary",
  rule: "s47-household-adult",
  legalBasis: "Children Act 1989 s47; DPA 2018 Sch. 1 Part 2 para 18",
  obligations: ["notify-record-owner-safeguarding-lead"],
  notify: ["RX4", "RT9"],
};

describe("disclosure notices", () => {
  it("one valid Task per organisation told, owned by it, naming the patient, the record and the AuditEvent", () => {
    const notices = disclosureNotices(event, access, permit, "201");
    expect(notices.map((n) => ownersOf(n))).toEqual([["RX4"], ["RT9"]]);
    for (const n of notices) {
      expect(validateResource(n).filter((i) => i.severity === "error" || i.severity === "fatal")).toEqual([]);
      expect(n).toMatchObject({
        resourceType: "Task",
        status: "requested",
        intent: "order",
        code: { coding: [{ code: DISCLOSURE_NOTICE_CODE }] },
        for: { reference: "Patient/adult" },
        focus: { reference: `AuditEvent/${event.id}` },
        requester: { identifier: { value: "201" } },
        authoredOn: event.recorded,
      });
    }
    expect(new Set(notices.map((n) => n.id)).size).toBe(2);
    expect(notices.every((n) => n.id.length <= 64 && /^[A-Za-z0-9\-.]+$/.test(n.id))).toBe(true);
  });

  it("nothing for a deny, or for a permit that asks no one to be told", () => {
    expect(disclosureNotices(event, access, { ...permit, effect: "deny", level: "none" }, "201")).toEqual([]);
    const { notify: _, ...quiet } = permit;
    expect(disclosureNotices(event, access, quiet, "201")).toEqual([]);
  });
});

describe("disclosure notices where the audit trail is its own database (the Node gateway on SQLite)", () => {
  it("the notice goes to the data, the AuditEvent to the audit store, and the write succeeds", async () => {
    const main = await openSqliteStore(":memory:", loadMigrations());
    const trail = await openSqliteStore(":memory:", loadMigrations());
    const store = auditRoutedStore(main, trail);
    const auditor = createAuditor({
      store,
      clock: () => new Date("2026-04-15T10:00:00.000Z"),
      newId: () => "3f1c2a9e-0000-4000-8000-000000000002",
      source: { name: "Think Family Gateway" },
    });
    const actor: Actor = {
      subject: "sw-1",
      issuer: "https://idp.test.invalid",
      org: "201",
      orgType: "la-childrens-services",
      role: "practitioner",
      purposeOfUse: "safeguarding-s47",
      tokenId: { kind: "jti", value: "t" },
    };
    await auditor.record(actor, access, { ...permit, notify: ["RX4"] });
    const tasks = await main.search({ resourceType: "Task", criteria: [], count: 10, sort: "id" });
    expect(tasks.versions.map((v) => v.resource?.focus)).toEqual([
      { reference: `AuditEvent/${"3f1c2a9e-0000-4000-8000-000000000002"}` },
    ]);
    expect(await trail.read("AuditEvent", "3f1c2a9e-0000-4000-8000-000000000002")).toBeDefined();
    await store.close();
  });
});
