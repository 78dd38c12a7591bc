// The audit adapter: enforcement's per-request entries written as one record per person and distinct decision about
// them, to an auditor of the shape src/audit's Auditor has (record(actor, access, decision)); a failure refuses with 503.
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/actor.js";
import type { AuditSink } from "../../src/policy/audit.js";
import { auditSinkFor, type DecisionAuditor } from "../../src/policy/audit-adapter.js";
import { CALLERS, type EnforceApp, enforceApp } from "./policy-enforce-fixtures.js";

type Call = Parameters<DecisionAuditor["record"]>;
const calls: Call[] = [];
let e: EnforceApp<AuditSink>;
beforeAll(async () => {
  e = await enforceApp(auditSinkFor({ record: async (...args: Call) => void calls.push(args) }));
});

describe("auditSinkFor", () => {
  it("a denied read: one record, the patient, the default deny; the actor as verified", async () => {
    calls.length = 0;
    await e.as("la202s47", "/fhir/EpisodeOfCare/ep-cpa");
    expect(calls).toHaveLength(1);
    const [actor, access, decision] = calls[0] as Call;
    expect((actor as Actor).org).toBe("202");
    expect(actor.purposeOfUse).toBe("safeguarding-s47");
    expect(access).toEqual({
      interaction: "read",
      resourceType: "EpisodeOfCare",
      resource: "EpisodeOfCare/ep-cpa",
      patient: "Patient/adult",
    });
    expect(decision).toEqual({ effect: "deny", level: "none", rule: "default-deny" });
  });

  it("a search: one record per record decided, shown or left out; obligations as kinds, never the reason", async () => {
    calls.length = 0;
    await e.as("la201s47reason", "/fhir/EpisodeOfCare");
    const rows = calls.map(([, a, d]) => [a.resource, a.patient, d.effect, d.level, d.rule]);
    expect(rows).toEqual([
      ["EpisodeOfCare/ep-cin", "Patient/child", "permit", "sensitive", "recording-organisation"],
      ["EpisodeOfCare/ep-cpa", "Patient/adult", "permit", "sensitive", "s47-sensitive-with-justification"],
      ["EpisodeOfCare/ep-stranger", "Patient/stranger", "deny", "none", "default-deny"],
    ]);
    expect(calls[1]?.[2].obligations).toEqual(["notify-record-owner-safeguarding-lead", "record-s47-justification"]);
    // The organisations to tell reach the auditor (it writes each a disclosure notice); the own record's permit tells no one.
    expect(calls.map(([, , d]) => d.notify)).toEqual([undefined, ["RX4"], undefined]);
    expect(JSON.stringify(calls)).not.toContain(CALLERS.la201s47reason.reason.slice(0, 20));
  });

  it("a record about two people (the household) is recorded for each; nothing matched is one record", async () => {
    calls.length = 0;
    await e.as("rx4", "/fhir/Group/household-1");
    expect(calls.map(([, a]) => a.patient)).toEqual(["Patient/adult", "Patient/child"]);
    calls.length = 0;
    await e.as("rx4", "/fhir/Patient?_id=nobody");
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[2]).toEqual({ effect: "permit", level: "none", rule: "nothing-matched" });
  });

  it("one person's records decided alike are one call (no single record named); different decisions, one each", async () => {
    calls.length = 0;
    await e.as("rx4", "/fhir/Observation?subject=Patient/adult");
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[1]).toEqual({ interaction: "search", resourceType: "Observation", patient: "Patient/adult" });
    expect(calls[0]?.[2]).toMatchObject({ effect: "permit", level: "sensitive", rule: "recording-organisation" });
    calls.length = 0;
    await e.as("la201s47", "/fhir/Observation?subject=Patient/adult");
    expect(calls.map(([, a, d]) => [a.resource, d.effect, d.level])).toEqual([
      ["Observation/obs-mod", "deny", "none"],
      ["Observation/obs-sub", "permit", "summary"],
    ]);
  });

  it("an auditor that throws refuses the read with 503", async () => {
    const failing = await enforceApp(
      auditSinkFor({
        record: async () => {
          throw new Error("down");
        },
      }),
    );
    expect((await failing.as("rx4", "/fhir/Patient/adult")).status).toBe(503);
    await failing.store.close();
  });
});
