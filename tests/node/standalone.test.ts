// The repository stands on its own: no tracked file reads or links to a folder outside it (such as ../shared).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");

/** Every file git tracks or would add (untracked, not ignored), so a new file is checked before it is committed. */
function repositoryFiles(): string[] {
  const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.split("\0").filter((f) => f !== "" && existsSync(join(root, f)));
}

describe("the repository stands on its own", () => {
  it("no file refers to the sibling shared/ folder", () => {
    const offenders = repositoryFiles().filter((f) => {
      if (f === "package-lock.json" || f.endsWith("standalone.test.ts")) return false;
      const text = readFileSync(join(root, f), "utf8");
      return /\.\.\/shared\b|\.\.\\shared\b/.test(text);
    });
    expect(offenders).toEqual([]);
  });

  it("vendors the CIN census schemas with their licence and provenance", () => {
    for (const year of [2024, 2025, 2026]) {
      expect(readFileSync(join(root, `vendor/cin-census/CIN_schema_${year}.xsd`), "utf8")).toContain("<xs:schema");
    }
    expect(readFileSync(join(root, "vendor/cin-census/LICENSE-liia-tools-pipeline.txt"), "utf8")).toContain(
      "MIT License",
    );
    expect(readFileSync(join(root, "vendor/cin-census/README.md"), "utf8")).toContain(
      "4aff91891062f9b599518bcb47cf97a91fa7ac4a",
    );
  });
});
