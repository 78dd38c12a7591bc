// Ingest validates every produced resource with the generated validators by default: a mapping that
// produces a resource breaking its profile gets the record rejected with a FHIRPath expression, and
// nothing of that record is stored, while the file's other records are.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import ndtmsPrntstat from "../../mappings/ndtms/conceptmap-prntstat-parental-status.json" with { type: "json" };
import ndtmsSex from "../../mappings/ndtms/conceptmap-sex-gender.json" with { type: "json" };
import pregnant from "../../mappings/shared/conceptmap-pregnant.json" with { type: "json" };
import { ingest } from "../../src/ingest/ingest-service.js";
import { DERIVATIONS } from "../../src/mapping/derivations/index.js";
import { Mapping } from "../../src/mapping/engine.js";
import { mappingFor } from "../../src/mapping/registry.js";
import { ndtmsRecords } from "../../src/mapping/sources/ndtms.js";
import type { ConceptMapJson, MappingSpec } from "../../src/mapping/types.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { textSource } from "../support/map-events.js";
import { sentBy } from "../support/sender.js";

const csv = readFileSync("tests/golden/ndtms/input.csv", "utf8");

/** The shipped NDTMS mapping with one change: a Patient gender outside the R4 administrative-gender codes when SEX is 1. */
function brokenMapping(): Mapping {
  const shipped = mappingFor("ndtms");
  const spec: MappingSpec = structuredClone(shipped.spec);
  const patient = spec.resources.find((r) => r.resourceType === "Patient");
  if (!patient?.template || typeof patient.template !== "object" || Array.isArray(patient.template))
    throw new Error("no Patient rule");
  // A mapping template is JSON data; parsed here so the `then` key stays data, not a thenable object.
  patient.template.gender = JSON.parse('{ "$if": { "equals": ["SEX", "1"] }, "then": "man", "else": "unknown" }');
  return new Mapping(spec, [ndtmsPrntstat, ndtmsSex, pregnant] as unknown as ConceptMapJson[], DERIVATIONS);
}

describe("ingest validation", () => {
  it("rejects a record whose produced resource breaks R4, stores the others, and never half-writes", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    try {
      const good = await ingest(
        { store, clock: () => new Date() },
        mappingFor("ndtms"),
        ndtmsRecords(textSource(csv)),
        { retain: "all", ...sentBy("ndtms", "N0852") },
      );
      const stored = good.counts.created;
      expect(stored).toBeGreaterThan(0);

      const fresh = await openSqliteStore(":memory:", loadMigrations());
      const report = await ingest(
        { store: fresh, clock: () => new Date() },
        brokenMapping(),
        ndtmsRecords(textSource(csv)),
        sentBy("ndtms", "N0852"),
      );
      const rejectedByValidation = report.records.filter((r) =>
        r.issues?.issue.some((i) => i.expression?.[0] === "Patient.gender"),
      );
      expect(rejectedByValidation.length).toBeGreaterThan(0);
      for (const r of rejectedByValidation) {
        expect(r.outcome).toBe("rejected");
        const issue = r.issues?.issue.find((i) => i.expression?.[0] === "Patient.gender");
        expect(issue).toMatchObject({ severity: "error", code: "code-invalid" });
        expect(issue?.diagnostics).toMatch(/^Patient produced from this record: /);
        // Nothing of the rejected record is stored: none of the resources the good run stored for it.
        const same = good.records.find((g) => g.key === r.key);
        expect(same?.resources?.length).toBeGreaterThan(0);
        for (const ref of same?.resources ?? []) {
          const [type, id] = ref.split("/") as [string, string];
          expect(await fresh.read(type, id), ref).toBeUndefined();
        }
      }
      expect(report.counts.created + rejectedByValidation.length).toBe(stored);
      await fresh.close();
    } finally {
      await store.close();
    }
  });

  it("skips validation only when asked (validate: false)", async () => {
    const store = await openSqliteStore(":memory:", loadMigrations());
    try {
      const report = await ingest(
        { store, clock: () => new Date(), validate: false },
        brokenMapping(),
        ndtmsRecords(textSource(csv)),
        sentBy("ndtms", "N0852"),
      );
      expect(report.records.some((r) => r.issues?.issue.some((i) => i.expression?.[0] === "Patient.gender"))).toBe(
        false,
      );
    } finally {
      await store.close();
    }
  });
});
