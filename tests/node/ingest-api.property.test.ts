// Property test for POST /ingest/{source}: whatever bytes arrive, with whatever media type, the answer is
// a report or an OperationOutcome with a 2xx/4xx status (403 when no record belongs to the sender), never a 500, and never a source value echoed
// (only the sender's own local record keys come back, so it can match results to records).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

const MARKER = "QXMARKER9";
const SENDERS = { cpa: "mh-trust", ndtms: "drug-alcohol-service", cin: "la-childrens-services" } as const;
let t: TestApp;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()));
  for (const [source, orgType] of Object.entries(SENDERS)) {
    tokens[source] = await t.issuer.sign({
      sub: "feed",
      org: "X1",
      org_type: orgType,
      role: "system",
      purpose_of_use: "direct-care",
    });
  }
});

const body = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ maxLength: 300 }).map((s) => `${s}${MARKER}`),
  fc.jsonValue({ maxDepth: 3 }).map((v) =>
    JSON.stringify({
      Patients: [
        v,
        { MHS001MPI: { LocalPatientId: "L1", PersonGivenName: MARKER, NHSNumber: MARKER, PersonBirthDate: MARKER } },
      ],
    }),
  ),
  fc.string({ maxLength: 80 }).map((s) => `FINITIAL,SINITIAL,DOB,CLIENTID\n${s},${MARKER},${MARKER},C1\n`),
  fc
    .string({ maxLength: 80 })
    .map((s) => `<Message><Children><Child>${s}<X>${MARKER}</X></Child></Children></Message>`),
);

describe("POST /ingest/{source} on arbitrary input", () => {
  it("answers 200, 400, 403, 413, 415 or 422 with a report or an OperationOutcome, never a 500 or an echoed value", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("cpa", "ndtms", "cin"),
        fc.constantFrom(
          "text/csv",
          "application/json",
          "application/x-ndjson",
          "application/xml",
          "text/plain",
          "multipart/form-data; boundary=x",
        ),
        body,
        async (source, type, payload) => {
          const res = await t.app.request(`http://gw.test/ingest/${source}`, {
            method: "POST",
            headers: { Authorization: `Bearer ${tokens[source]}`, "Content-Type": type },
            body: payload,
          });
          expect([200, 400, 403, 413, 415, 422]).toContain(res.status);
          const text = await res.text();
          const json = JSON.parse(text) as { resourceType?: string; counts?: unknown };
          if (res.status === 200) expect(json.counts).toBeDefined();
          else if (res.status !== 422) expect(json.resourceType).toBe("OperationOutcome");
          // Records are named by the sender's own local key (echoed so the sender can match results);
          // names, NHS numbers, dates and other values never come back.
          expect(text).not.toContain(MARKER);
        },
      ),
      { numRuns: 150 },
    );
  });
});
