// The Provenance ingest writes names its sender (src/ingest/sender.ts) and passes R4 and TFG-Provenance;
// the sender-token extension is checked by the generated validators (value type, system and value).
import { describe, expect, it } from "vitest";
import { profileUrl } from "../../src/fhir/canonical.js";
import { validateResource } from "../../src/fhir/validation/index.js";
import { SENDER_TOKEN_EXTENSION, senderAgents } from "../../src/ingest/sender.js";

const provenance = (agent: unknown[]) => ({
  resourceType: "Provenance",
  id: "p1",
  meta: { profile: [profileUrl("TFG-Provenance")] },
  target: [{ reference: "Patient/x" }],
  recorded: "2026-04-01T00:00:00.000Z",
  agent: [{ who: { display: "Think Family Gateway ingest (ndtms)" } }, ...agent],
  entity: [
    {
      role: "source",
      what: { identifier: { system: "urn:tfg:source-record:ndtms", value: "N0852/C1/E1" }, display: "m@1" },
    },
  ],
});

const sender = {
  org: "N0852",
  subject: "feed",
  issuer: "https://idp.example",
  tokenId: { kind: "sha256", value: "ab12" },
} as const;

describe("sender agents in Provenance", () => {
  it("are valid R4 and TFG-Provenance for every kind of token id", () => {
    for (const kind of ["jti", "sha256", "cli-run"] as const) {
      const issues = validateResource(provenance(senderAgents({ ...sender, tokenId: { kind, value: "v1" } })));
      expect(
        issues.filter((i) => i.severity === "error"),
        kind,
      ).toEqual([]);
    }
  });

  it("flag a sender-token extension with the wrong value type or no identifier value", () => {
    const [org, user] = senderAgents(sender) as [Record<string, unknown>, Record<string, unknown>];
    const wrongType = { ...user, extension: [{ url: SENDER_TOKEN_EXTENSION, valueString: "ab12" }] };
    const noValue = { ...user, extension: [{ url: SENDER_TOKEN_EXTENSION, valueIdentifier: { system: "urn:x" } }] };
    for (const bad of [wrongType, noValue]) {
      const errors = validateResource(provenance([org, bad])).filter((i) => i.severity === "error");
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.some((e) => e.expression?.some((x) => x.startsWith("Provenance.agent[2].extension")))).toBe(true);
    }
  });
});
