// Proves that NHS numbers, names, dates of birth, postcodes and tokens never reach a log line or an error body.
import { describe, expect, it } from "vitest";
import { consoleLogger } from "../../src/log/console-logger.js";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { createNodeLogger } from "../../src/runtime/node-logger.js";
import type { Store } from "../../src/store/port.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp } from "../support/test-app.js";

const NHS_NUMBER = "9990000018";
const NAME = "Zebedee";
const DOB = "1983-07-14";
const POSTCODE = "LS1 4AP";
const SECRETS = [NHS_NUMBER, "999 000 0018", NAME, DOB, POSTCODE];

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(s) } };
}

/** A store whose writes fail with a message that quotes personal data, as a careless driver might. */
function leakyStore(inner: Store): Store {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "commit") {
        return async () => {
          throw new Error(`constraint failed for ${NHS_NUMBER} ${NAME} born ${DOB} at ${POSTCODE}`);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

describe("redaction", () => {
  it("keeps identifiers out of pino's request logs, error logs and the 500 body", async () => {
    const { lines, stream } = capture();
    const logger = createNodeLogger("debug", stream);
    const t = await createTestApp(leakyStore(await openSqliteStore(":memory:", loadMigrations())), {}, { logger });
    const body = {
      resourceType: "Patient",
      identifier: [{ system: "https://fhir.nhs.uk/Id/nhs-number", value: NHS_NUMBER }],
      name: [{ family: NAME }],
      birthDate: DOB,
      address: [{ postalCode: POSTCODE }],
    };
    const created = await t.fhir("/fhir/Patient", { method: "POST", json: body });
    expect(created.status).toBe(500);
    const outcome = await created.text();
    await t.fhir(`/fhir/Patient?identifier=${NHS_NUMBER}&birthdate=${DOB}&name=${NAME}`);
    // Direct calls with identifying fields and messages, as future code might make.
    logger.info(
      { nhsNumber: NHS_NUMBER, patient: { name: NAME, birthDate: DOB }, note: `seen ${NHS_NUMBER} at ${POSTCODE}` },
      `lookup ${NHS_NUMBER}`,
    );
    logger.info({ authorization: `Bearer ${t.token}`, header: `Bearer ${t.token}` }, "auth");

    expect(lines.length).toBeGreaterThanOrEqual(4);
    const all = lines.join("\n") + outcome;
    for (const secret of [...SECRETS, t.token]) expect(all).not.toContain(secret);
    const errorLine = lines.find((l) => l.includes("unhandled error"));
    expect(errorLine).toBeDefined();
    expect(JSON.parse(errorLine as string).err.type).toBe("Error");
    const requestLine = JSON.parse(lines.find((l) => l.includes('"status":500')) as string);
    expect(requestLine).toMatchObject({ method: "POST", route: "/fhir/:type", status: 500 });
    expect(typeof requestLine.requestId).toBe("string");
    expect(typeof requestLine.latencyMs).toBe("number");
  });

  it("gives the Workers console logger the same redaction", () => {
    const out: string[] = [];
    const original = console.log;
    console.log = (s: string) => void out.push(s);
    try {
      consoleLogger("info")
        .child({ requestId: "r-1" })
        .info({ patient: { name: NAME, birthDate: DOB }, text: `nhs ${NHS_NUMBER}` }, `postcode ${POSTCODE}`);
    } finally {
      console.log = original;
    }
    expect(out).toHaveLength(1);
    for (const secret of SECRETS) expect(out[0]).not.toContain(secret);
    expect(JSON.parse(out[0] as string)).toMatchObject({ level: 30, requestId: "r-1" });
  });
});
