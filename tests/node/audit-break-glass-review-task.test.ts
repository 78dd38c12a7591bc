// The break-glass review Task (src/audit/break-glass-review-task.ts): a permit carrying review-by-safeguarding-lead
// becomes one valid R4 Task owned by the caller's organisation, for the patient, its focus the AuditEvent, the
// record read as input, the user as requester, the permit's end as restriction.period.end; nothing for a deny or a
// permit without the obligation; never the stated reason. Written by the auditor before the AuditEvent, also where
// the audit trail is its own database.
import { describe, expect, it } from "vitest";
import type { AuditAccess, AuditDecision } from "../../src/audit/audit-event.js";
import { createAuditor } from "../../src/audit/auditor.js";
import {
  BREAK_GLASS_REVIEW_CODE,
  breakGlassReviewTasks,
  completedTask,
  reviewOf,
  reviewTaskId,
} from "../../src/audit/break-glass-review-task.js";
import { disclosureNotices } from "../../src/audit/disclosure-notice.js";
import { NOTICE_CODE_SYSTEM } from "../../src/audit/notice-task.js";
import type { Actor } from "../../src/auth/actor.js";
import { ownersOf } from "../../src/auth/ownership.js";
import { validateResource } from "../../src/fhir/validation/validate.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { auditRoutedStore } from "../../src/store/audit-routed.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

const AT = "2026-04-15T10:00:00.000Z";
const UNTIL = "2026-04-15T14:00:00.000Z";
const event = { resourceType: "AuditEvent", id: "3f1c2a9e-0000-4000-8000-0000000000b1", recorded: AT };
const access: AuditAccess = {
  interaction: "operation",
  operation: "$household-check",
  resourceType: "EpisodeOfCare",
  resource: "EpisodeOfCare/ep-cpa",
  patient: "Patient/adult",
};
const breakGlass: AuditDecision = {
  effect: "permit",
  level: "summary",
  rule: "break-glass",
  legalBasis: "Emergency access with a stated reason (DPA 2018 Sch. 1 Part 2 para 18), reviewed afterwards",
  obligations: ["review-by-safeguarding-lead", `expires-after ${UNTIL}`],
};
const actor: Actor = {
  subject: "sw-7",
  issuer: "https://idp.test.invalid",
  org: "992",
  orgType: "la-childrens-services",
  role: "practitioner",
  purposeOfUse: "break-glass",
  tokenId: { kind: "jti", value: "t" },
};
const errors = (r: Record<string, unknown>) =>
  validateResource(r).filter((i) => i.severity === "error" || i.severity === "fatal");

describe("the break-glass review Task", () => {
  it("one valid Task owned by the caller's organisation, naming the patient, the record, the user and the expiry", () => {
    const [task, ...more] = breakGlassReviewTasks(event, access, breakGlass, actor);
    expect(more).toEqual([]);
    expect(task).toBeDefined();
    if (!task) return;
    expect(errors(task)).toEqual([]);
    expect(ownersOf(task)).toEqual(["992"]);
    expect(task).toMatchObject({
      resourceType: "Task",
      id: reviewTaskId(event.id),
      status: "requested",
      intent: "order",
      code: { coding: [{ system: NOTICE_CODE_SYSTEM, code: BREAK_GLASS_REVIEW_CODE }] },
      owner: { identifier: { value: "992" } },
      for: { reference: "Patient/adult" },
      focus: { reference: `AuditEvent/${event.id}` },
      authoredOn: AT,
      restriction: { period: { end: UNTIL } },
      input: [{ valueReference: { reference: "EpisodeOfCare/ep-cpa" } }],
      requester: { identifier: { system: "https://idp.test.invalid", value: "sw-7" } },
    });
    expect(task.id.length).toBeLessThanOrEqual(64);
    expect(task.id).toMatch(/^[A-Za-z0-9\-.]+$/);
    // Deterministic, and never the id of a disclosure notice of the same AuditEvent.
    expect(breakGlassReviewTasks(event, access, breakGlass, actor)[0]?.id).toBe(task.id);
    const notices = disclosureNotices(event, access, { ...breakGlass, notify: ["REVIEW"] }, "992");
    expect(notices.map((n) => n.id)).not.toContain(task.id);
  });

  it("no restriction when the permit names no end (a /fhir read records the obligation's kind only)", () => {
    const [task] = breakGlassReviewTasks(
      event,
      access,
      { ...breakGlass, obligations: ["expires-after", "review-by-safeguarding-lead"] },
      actor,
    );
    expect(task?.restriction).toBeUndefined();
    expect(task && errors(task)).toEqual([]);
  });

  it("nothing for a deny, or for a permit that asks for no review", () => {
    expect(breakGlassReviewTasks(event, access, { ...breakGlass, effect: "deny", level: "none" }, actor)).toEqual([]);
    const { obligations: _, ...quiet } = breakGlass;
    expect(breakGlassReviewTasks(event, access, quiet, actor)).toEqual([]);
    expect(
      breakGlassReviewTasks(event, access, { ...breakGlass, rule: "s47-household-adult", obligations: [] }, actor),
    ).toEqual([]);
  });

  it("completed: still valid, with the outcome, the reviewer and the note read back", () => {
    const [task] = breakGlassReviewTasks(event, access, breakGlass, actor);
    if (!task) throw new Error("no task");
    expect(reviewOf(task)).toBeUndefined();
    const done = completedTask(task, {
      reviewer: { issuer: "https://idp.test.invalid", subject: "lead-1" },
      at: "2026-04-16T09:00:00.000Z",
      outcome: "inappropriate",
      note: "Spoke to the worker.",
    });
    expect(errors(done)).toEqual([]);
    expect(done).toMatchObject({ status: "completed", lastModified: "2026-04-16T09:00:00.000Z" });
    expect(reviewOf(done)).toEqual({
      by: { issuer: "https://idp.test.invalid", subject: "lead-1" },
      at: "2026-04-16T09:00:00.000Z",
      outcome: "inappropriate",
      note: "Spoke to the worker.",
    });
  });
});

describe("written by the auditor, where the audit trail is its own database (the Node gateway on SQLite)", () => {
  it("the Task goes to the data, the AuditEvent to the audit store; a non-break-glass permit writes no Task", async () => {
    const main = await openSqliteStore(":memory:", loadMigrations());
    const trail = await openSqliteStore(":memory:", loadMigrations());
    const store = auditRoutedStore(main, trail);
    const ids = ["3f1c2a9e-0000-4000-8000-0000000000b2", "3f1c2a9e-0000-4000-8000-0000000000b3"];
    const auditor = createAuditor({
      store,
      clock: () => new Date(AT),
      newId: () => ids.shift() as string,
      source: { name: "Think Family Gateway" },
    });
    await auditor.record(actor, access, breakGlass);
    await auditor.record({ ...actor, purposeOfUse: "direct-care" }, access, {
      effect: "permit",
      level: "summary",
      rule: "recording-organisation",
    });
    const tasks = await main.search({ resourceType: "Task", criteria: [], count: 10, sort: "id" });
    expect(tasks.versions.map((v) => v.resource?.focus)).toEqual([
      { reference: "AuditEvent/3f1c2a9e-0000-4000-8000-0000000000b2" },
    ]);
    expect(await trail.read("AuditEvent", "3f1c2a9e-0000-4000-8000-0000000000b2")).toBeDefined();
    expect(await trail.read("AuditEvent", "3f1c2a9e-0000-4000-8000-0000000000b3")).toBeDefined();
    await store.close();
  });
});
