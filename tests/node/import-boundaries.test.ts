// The core stays runtime-neutral: this fails if any file outside src/runtime and the drivers imports host code.
import { describe, expect, it } from "vitest";
import { findBoundaryViolations, isHostSpecific } from "../../scripts/import-boundaries.js";

describe("import boundaries", () => {
  it("recognises host-specific specifiers", () => {
    for (const s of [
      "node:fs",
      "fs",
      "fs/promises",
      "pg",
      "better-sqlite3",
      "@electric-sql/pglite",
      "cloudflare:test",
      "pino",
    ]) {
      expect(isHostSpecific(s), s).toBe(true);
    }
    for (const s of ["hono", "jose", "zod", "kysely", "./app.js", "../store/port.js", "fhir/r4"]) {
      expect(isHostSpecific(s), s).toBe(false);
    }
  });

  it("finds no host imports in the core", () => {
    expect(findBoundaryViolations(process.cwd())).toEqual([]);
  });
});
