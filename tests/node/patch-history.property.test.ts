// Property tests for the JSON Patch and history-parameter parsers: any input is a result or a 4xx GatewayError,
// never another exception; the stored resource is never changed by a patch; no patch value is echoed in an error.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/fhir/errors.js";
import { historyAcrossBundle, parseHistory } from "../../src/fhir/history.js";
import { applyJsonPatch, parseJsonPatch } from "../../src/fhir/patch.js";

const MARKER = "QXMARKER9";
const LIMITS = { defaultCount: 20, maxCount: 500 };
const NOW = "2026-03-01T00:00:00.000Z";

const resource = () => ({
  resourceType: "Patient",
  id: "p1",
  gender: "female",
  name: [{ family: "Testperson", given: ["Ada", "Beth"] }],
  identifier: [{ system: "urn:test", value: "1" }],
});

const pointer = fc.oneof(
  fc.constantFrom("", "/", "/gender", "/name", "/name/0", "/name/0/given/-", "/name/1", "/identifier/0/value", "/id"),
  fc
    .array(fc.oneof(fc.constantFrom("name", "0", "1", "-", "given", "~0", "~1", "__proto__"), fc.string()), {
      maxLength: 4,
    })
    .map((segs) => segs.map((s) => `/${s}`).join("")),
  fc.string(),
);
const value = fc.oneof(fc.jsonValue(), fc.constant(MARKER), fc.record({ family: fc.constant(MARKER) }));
const operation = fc.oneof(
  fc.record(
    {
      op: fc.oneof(fc.constantFrom("add", "remove", "replace", "move", "copy", "test", "_get"), fc.string()),
      path: fc.oneof(pointer, fc.jsonValue()),
      from: pointer,
      value,
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);

const settle = (f: () => unknown): "ok" | GatewayError => {
  try {
    f();
    return "ok";
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
};

describe("JSON Patch parsing and application", () => {
  it("answers any body with a resource or a 4xx, leaves the stored resource alone and echoes no value", () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(operation, { maxLength: 6 }), fc.jsonValue()), (body) => {
        const stored = resource();
        const outcome = settle(() => applyJsonPatch(stored, parseJsonPatch(body, "Patient")));
        expect(stored).toEqual(resource());
        if (outcome !== "ok") {
          expect([400, 422]).toContain(outcome.status);
          expect(JSON.stringify(outcome.issues)).not.toContain(MARKER);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("never lets a patch change resourceType or id", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 6 }), (body) => {
        try {
          const out = applyJsonPatch(resource(), parseJsonPatch(body, "Patient"));
          expect(out.resourceType).toBe("Patient");
          expect(out.id).toBe("p1");
        } catch (err) {
          if (!(err instanceof GatewayError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("history parameters", () => {
  it("answers any parameters with a query or a 400 naming the parameter", () => {
    const name = fc.constantFrom("_count", "_since", "_at", "_cursor", "_format", "other");
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.string()), { maxLength: 4 }), fc.boolean(), (params, strict) => {
        const outcome = settle(() => parseHistory("Patient", params, LIMITS, NOW, strict));
        if (outcome !== "ok") {
          expect(outcome.status).toBe(400);
          expect(params.map(([k]) => k)).toContain(outcome.issues[0]?.expression?.[0]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("reads back every cursor it issues", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 0, 1)), noInvalidDate: true }),
        fc.string({ minLength: 1, maxLength: 64, unit: "binary" }),
        fc.nat(),
        (date, id, versionId) => {
          const at = date.toISOString();
          const parsed = parseHistory(undefined, [["_count", "1"]], LIMITS, at, false);
          const page = {
            total: 2,
            versions: [{ resourceType: "Patient", id, versionId, lastUpdated: at, deleted: true }],
          };
          const next = historyAcrossBundle("http://gw.test/fhir", undefined, parsed, page, undefined).link?.find(
            (l) => l.relation === "next",
          )?.url;
          const cursor = new URL(next as string).searchParams.get("_cursor") as string;
          const again = parseHistory(undefined, [["_cursor", cursor]], LIMITS, NOW, true);
          expect(again.query.until).toBe(at);
          expect(again.query.after).toEqual({ lastUpdated: at, resourceType: "Patient", id, versionId });
          expect(again.knownTotal).toBe(2);
        },
      ),
      { numRuns: 500 },
    );
  });
});
