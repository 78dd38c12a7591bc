// The s47 disclosure notice (src/audit/disclosure-notice.ts): a permit carrying notify-record-owner-safeguarding-lead
// becomes one valid R4 Task per organisation told, owned by it, for the patient, its focus the AuditEvent; nothing for
// a deny or a permit without the obligation; never the stated justification.
import { describe, expect, it } from "vitest";
import type { AuditAccess, AuditDecision } from "../../src/audit/audit-event.js";
import { DISCLOSURE_NOTICE_CODE, disclosureNotices } from "../../src/audit/disclosure-notice.js";
import { ownersOf } from "../../src/auth/ownership.js";
import { validateResource } from "../../src/fhir/validation/validate.js";

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
