// Golden-file helper: compares a value with a committed JSON file; UPDATE_GOLDEN=1 rewrites the file instead.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { expect } from "vitest";

/** Asserts `actual` equals the JSON in `file` (or writes it when UPDATE_GOLDEN=1 or the file is new). */
export function expectGolden(file: string, actual: unknown): void {
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
    writeFileSync(file, text);
    if (process.env.UPDATE_GOLDEN !== "1")
      throw new Error(`Golden file ${file} was missing and has been written: review and commit it`);
    return;
  }
  expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(file, "utf8")));
}
