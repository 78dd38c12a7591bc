/** The load benches' data: a SQLite file under a data folder with N bench Patients and one large one, and a dev token. */
import { join } from "node:path";
import { prepareWrite } from "../src/fhir/resource-service.js";
import { ensureDevKey, mintDevToken } from "../src/runtime/dev-issuer.js";
import { loadMigrations } from "../src/runtime/migration-files.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { benchPatient } from "./side-by-side.js";

/** A Patient of about `bytes` of JSON: many addresses, as a record carried over from a long history would have. */
export function largePatient(bytes: number) {
  const base = benchPatient(0);
  const address = [];
  for (let size = 0, i = 0; size < bytes; i++) {
    const a = {
      use: "old" as const,
      line: [`${i} Synthetic Street`, "Nowhere Estate"],
      city: "Testtown",
      postalCode: "ZZ99 9ZZ",
    };
    address.push(a);
    size += JSON.stringify(a).length + 1;
  }
  return {
    ...base,
    id: "large",
    identifier: [{ system: "https://fhir.nhs.uk/Id/nhs-number", value: "9990000018" }],
    address,
  };
}

/**
 * Creates the dev key under `dataDir`, seeds `patients` Patients (`p-0` …) and one of about `largeBytes` (`large`)
 * into `dataDir/tfg.sqlite`, and resolves with a development token for a practitioner of RX4.
 */
export async function seedLoadData(dataDir: string, patients: number, largeBytes: number): Promise<string> {
  await ensureDevKey(dataDir);
  const store = await openSqliteStore(join(dataDir, "tfg.sqlite"), loadMigrations());
  const now = new Date().toISOString();
  for (let i = 0; i < patients; i += 500) {
    const writes = [];
    for (let k = i; k < Math.min(patients, i + 500); k++)
      writes.push(prepareWrite("Patient", `p-${k}`, 1, now, benchPatient(k)));
    await store.commit({ resources: writes });
  }
  await store.commit({ resources: [prepareWrite("Patient", "large", 1, now, largePatient(largeBytes))] });
  await store.close();
  return mintDevToken(dataDir, {
    sub: "bench-practitioner",
    org: "RX4",
    org_type: "mh-trust",
    role: "practitioner",
    purpose_of_use: "direct-care",
  });
}
